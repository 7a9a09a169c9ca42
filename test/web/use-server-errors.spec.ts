import { describe, expect, it } from 'vitest';
import { ApiError } from '../../web/src/api/request';
import { useServerErrors } from '../../web/src/composables/useServerErrors';

function refusal(code: string, message: string, details: { field: string; message: string }[] = []): ApiError {
  const error = new ApiError(code, message, 400);
  error.details = details;
  return error;
}

describe('useServerErrors', () => {
  it('shows the server message and puts each detail under its field, body. prefix dropped and names mapped', () => {
    const errors = useServerErrors({ fieldMap: { amountFen: 'amount' } });
    const handled = errors.apply(
      refusal('VALIDATION_FAILED', '请检查填写的内容', [
        { field: 'body.amountFen', message: '须为正整数' },
        { field: 'body.payeeName', message: '必填' },
        { field: 'body.amountFen', message: '不得超过可用余额' },
      ]),
      '提交失败',
    );
    expect(handled).toBe(true);
    expect(errors.message.value).toBe('请检查填写的内容');
    expect({ ...errors.fields }).toEqual({ amount: '须为正整数；不得超过可用余额', payeeName: '必填' });
  });

  it('a code without details lands on the field it belongs to, unless a detail already speaks for it', () => {
    const errors = useServerErrors({ codeFields: { DUPLICATE_QUOTA_NO: { field: 'quotaNo', message: '文号已存在' } } });
    errors.apply(refusal('DUPLICATE_QUOTA_NO', '指标文号重复', []), '提交失败');
    expect(errors.fields.quotaNo).toBe('文号已存在');
    errors.apply(refusal('DUPLICATE_QUOTA_NO', '指标文号重复', [{ field: 'body.quotaNo', message: '与 X 重复' }]), '提交失败');
    expect(errors.fields.quotaNo).toBe('与 X 重复');
  });

  it('an error that is not the API’s shows the fallback; a cancelled request is not an error', () => {
    const errors = useServerErrors();
    expect(errors.apply(new TypeError('boom'), '提交失败，请稍后再试')).toBe(true);
    expect(errors.message.value).toBe('提交失败，请稍后再试');
    expect(errors.apply(new ApiError('ABORTED', '已取消'), '提交失败')).toBe(false);
    expect(errors.message.value).toBe('');
  });

  it('a new failure replaces the old one entirely, and one field can be cleared alone', () => {
    const errors = useServerErrors();
    errors.apply(
      refusal('VALIDATION_FAILED', '第一次', [
        { field: 'body.a', message: 'x' },
        { field: 'body.b', message: 'y' },
      ]),
      '',
    );
    errors.clearField('a');
    expect({ ...errors.fields }).toEqual({ b: 'y' });
    errors.apply(refusal('VALIDATION_FAILED', '第二次', [{ field: 'body.c', message: 'z' }]), '');
    expect(errors.message.value).toBe('第二次');
    expect({ ...errors.fields }).toEqual({ c: 'z' });
    errors.clear();
    expect(errors.message.value).toBe('');
    expect(Object.keys(errors.fields)).toEqual([]);
  });
});
