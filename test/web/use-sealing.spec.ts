import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../web/src/api/request';
import type { SealStatus } from '../../web/src/api/seals';

// The seal dialog's logic against a stand-in for the two seal routes and the session: which mode
// the dialog opens in, what a wrong, locked or missing seal does to it, and what reaches the
// operation. The dialog's visibility, PIN and message are its useFormDialog state (sealing.dialog). (The routes themselves are tried for real in test/database/seals.test.ts and the
// pages in test/browser.)
const api = vi.hoisted(() => ({ getMySeal: vi.fn(), enrolSeal: vi.fn(), canSign: true }));
vi.mock('../../web/src/api/seals', () => ({ getMySeal: api.getMySeal, enrolSeal: api.enrolSeal }));
vi.mock('../../web/src/session/useSession', () => ({ useSession: () => ({ can: () => api.canSign }) }));

const { useSealing, newPinProblem } = await import('../../web/src/seals/useSealing');

function status(overrides: Partial<SealStatus> = {}): SealStatus {
  return {
    enrolled: true,
    key: null,
    canSign: true,
    recordVerified: true,
    lockedUntil: null,
    failedPins: 0,
    reenrolment: null,
    revokedKeys: [],
    ...overrides,
  };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('useSealing', () => {
  beforeEach(() => {
    api.getMySeal.mockReset();
    api.enrolSeal.mockReset();
    api.canSign = true;
    useSealing().cancel();
  });

  it('a person whose roles do not sign acts at once, without a PIN', async () => {
    api.canSign = false;
    const operation = vi.fn(async (pin: string | undefined) => `done:${pin}`);
    expect(await useSealing().run('办理审批', operation)).toBe('done:undefined');
    expect(api.getMySeal).not.toHaveBeenCalled();
  });

  it('an enrolled signer is asked for the PIN; a malformed PIN never reaches the server; the right one runs the operation', async () => {
    api.getMySeal.mockResolvedValue(status());
    const sealing = useSealing();
    const operation = vi.fn(async (pin: string | undefined) => `sealed with ${pin}`);
    const outcome = sealing.run('办理审批', operation);
    await flush();
    expect(sealing.dialog.visible.value).toBe(true);
    expect(sealing.state.mode).toBe('pin');
    expect(sealing.state.action).toBe('办理审批');
    sealing.dialog.form.pin = '12a';
    await sealing.confirm();
    expect(sealing.dialog.serverErrors.message.value).toBe('请输入 6 位数字签章密码');
    expect(operation).not.toHaveBeenCalled();
    sealing.dialog.form.pin = '258013';
    await sealing.confirm();
    expect(await outcome).toBe('sealed with 258013');
    expect(sealing.dialog.visible.value).toBe(false);
    expect(sealing.dialog.form.pin).toBe('');
  });

  it('a wrong PIN keeps the dialog open with the server’s words and the PIN cleared; a lock turns it into the locked view', async () => {
    api.getMySeal.mockResolvedValue(status());
    const sealing = useSealing();
    const operation = vi
      .fn<(pin: string | undefined) => Promise<string>>()
      .mockRejectedValueOnce(new ApiError('SEAL_PIN_WRONG', '签章密码错误，还可尝试 4 次', 403))
      .mockRejectedValueOnce(new ApiError('SEAL_LOCKED', '签章已锁定，请于 15:30 后重试', 423));
    const outcome = sealing.run('下达指标', operation);
    await flush();
    sealing.dialog.form.pin = '111222';
    await sealing.confirm();
    expect(sealing.dialog.visible.value).toBe(true);
    expect(sealing.dialog.serverErrors.message.value).toBe('签章密码错误，还可尝试 4 次');
    expect(sealing.dialog.form.pin).toBe('');
    sealing.dialog.form.pin = '333444';
    await sealing.confirm();
    expect(sealing.state.mode).toBe('locked');
    expect(sealing.dialog.serverErrors.message.value).toBe('签章已锁定，请于 15:30 后重试');
    await sealing.confirm(); // 锁定时“确定”只是关闭：操作未执行
    expect(await outcome).toBeNull();
    expect(operation).toHaveBeenCalledTimes(2);
  });

  it('a signer without a seal enrols in the same dialog (two matching PINs by the server’s rule) and the operation then runs with that PIN', async () => {
    api.getMySeal.mockResolvedValueOnce(status({ enrolled: false })).mockResolvedValue(status());
    api.enrolSeal.mockResolvedValue({});
    const sealing = useSealing();
    const operation = vi.fn(async (pin: string | undefined) => pin);
    const outcome = sealing.run('办理审批', operation);
    await flush();
    expect(sealing.state.mode).toBe('enrol');
    sealing.dialog.form.pin = '123456';
    sealing.dialog.form.confirm = '123456';
    await sealing.confirm();
    expect(sealing.dialog.serverErrors.message.value).toBe(newPinProblem('123456', '123456'));
    expect(sealing.dialog.serverErrors.message.value).not.toBe('');
    sealing.dialog.form.pin = '258013';
    sealing.dialog.form.confirm = '258014';
    await sealing.confirm();
    expect(sealing.dialog.serverErrors.message.value).toBe('两次输入的签章密码不一致');
    expect(api.enrolSeal).not.toHaveBeenCalled();
    sealing.dialog.form.confirm = '258013';
    await sealing.confirm();
    expect(api.enrolSeal).toHaveBeenCalledWith('258013');
    expect(await outcome).toBe('258013');
  });

  it('enrolled meanwhile in another tab: the dialog asks for the PIN instead; a second run while one waits is refused; cancel answers null', async () => {
    api.getMySeal.mockResolvedValue(status({ enrolled: false }));
    api.enrolSeal.mockRejectedValue(new ApiError('SEAL_ALREADY_ENROLLED', '已开通', 409));
    const sealing = useSealing();
    const operation = vi.fn(async () => 'x');
    const outcome = sealing.run('办理审批', operation);
    await flush();
    expect(await sealing.run('办理审批', operation)).toBeNull();
    sealing.dialog.form.pin = '258013';
    sealing.dialog.form.confirm = '258013';
    await sealing.confirm();
    expect(sealing.state.mode).toBe('pin');
    expect(sealing.dialog.serverErrors.message.value).toBe('您已开通电子签章，请输入签章密码');
    expect(operation).not.toHaveBeenCalled();
    sealing.cancel();
    expect(await outcome).toBeNull();
  });

  it('closing the dialog (取消, ×, Esc) answers null and runs nothing; while sealing it cannot be closed', async () => {
    api.getMySeal.mockResolvedValue(status());
    const sealing = useSealing();
    const operation = vi.fn(async () => 'x');
    const outcome = sealing.run('办理审批', operation);
    await flush();
    sealing.dialog.close();
    expect(await outcome).toBeNull();
    expect(operation).not.toHaveBeenCalled();

    let release: (value: string) => void = () => undefined;
    const slow = sealing.run('办理审批', () => new Promise<string>((resolve) => (release = resolve)));
    await flush();
    sealing.dialog.form.pin = '258013';
    const confirming = sealing.confirm();
    await flush();
    expect(sealing.dialog.submitting.value).toBe(true);
    sealing.dialog.close();
    expect(sealing.dialog.visible.value).toBe(true);
    release('sealed');
    await confirming;
    expect(await slow).toBe('sealed');
    expect(sealing.dialog.visible.value).toBe(false);
  });

  it('any other failure of the operation closes the dialog and reaches the caller', async () => {
    api.getMySeal.mockResolvedValue(status());
    const sealing = useSealing();
    const refusal = new ApiError('TASK_GONE', '该事项已由他人办理', 409);
    const outcome = sealing.run('办理审批', () => Promise.reject(refusal));
    await flush();
    sealing.dialog.form.pin = '258013';
    await sealing.confirm();
    await expect(outcome).rejects.toBe(refusal);
    expect(sealing.dialog.visible.value).toBe(false);
  });
});
