import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../web/src/api/request';
import { useFormDialog } from '../../web/src/composables/useFormDialog';

function setup(valid = true) {
  const dialog = useFormDialog({ empty: () => ({ name: '', amount: 0 }), serverErrors: { fieldMap: { amountFen: 'amount' } } });
  dialog.formRef.value = {
    validate: () => (valid ? Promise.resolve(true) : Promise.reject(new Error('invalid'))),
    clearValidate: () => undefined,
  } as never;
  return dialog;
}

describe('useFormDialog', () => {
  it('open resets the form to empty plus the initial values and shows the dialog', () => {
    const d = setup();
    d.form.name = 'old';
    d.open({ amount: 5 });
    expect(d.visible.value).toBe(true);
    expect({ ...d.form }).toEqual({ name: '', amount: 5 });
  });

  it('a successful submit closes the dialog', async () => {
    const d = setup();
    d.open();
    const seen: string[] = [];
    expect(await d.submit(async (f) => void seen.push(f.name))).toBe(true);
    expect(seen).toEqual(['']);
    expect(d.visible.value).toBe(false);
    expect(d.submitting.value).toBe(false);
  });

  it('a failing submit keeps it open with the server errors mapped to fields', async () => {
    const d = setup();
    d.open();
    const error = new ApiError('VALIDATION_FAILED', '金额不正确', 400);
    error.details = [{ field: 'body.amountFen', message: '须大于 0' }];
    expect(await d.submit(() => Promise.reject(error))).toBe(false);
    expect(d.visible.value).toBe(true);
    expect(d.serverErrors.message.value).toBe('金额不正确');
    expect(d.serverErrors.fields.amount).toBe('须大于 0');
    expect(await d.submit(() => Promise.reject(new Error('x')), '保存失败')).toBe(false);
    expect(d.serverErrors.message.value).toBe('保存失败');
  });

  it('an invalid form does not call the submit function', async () => {
    const d = setup(false);
    d.open();
    const fn = vi.fn(() => Promise.resolve());
    expect(await d.submit(fn)).toBe(false);
    expect(fn).not.toHaveBeenCalled();
    expect(d.visible.value).toBe(true);
  });

  it('a second click while submitting is ignored and close is refused', async () => {
    const d = setup();
    d.open();
    let release!: () => void;
    const fn = vi.fn(() => new Promise<void>((r) => (release = r)));
    const first = d.submit(fn);
    await Promise.resolve();
    await Promise.resolve();
    expect(d.submitting.value).toBe(true);
    expect(await d.submit(fn)).toBe(false);
    d.close();
    expect(d.visible.value).toBe(true);
    release();
    expect(await first).toBe(true);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('keepOpen leaves a successful dialog open for its result, and the next open starts clean', async () => {
    const d = setup();
    d.open({ name: 'a' });
    expect(await d.submit(async () => undefined, undefined, { keepOpen: true })).toBe(true);
    expect(d.visible.value).toBe(true);
    expect(d.submitting.value).toBe(false);
    d.close();
    expect(d.visible.value).toBe(false);
    d.open();
    expect({ ...d.form }).toEqual({ name: '', amount: 0 });
  });
});
