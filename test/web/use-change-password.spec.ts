import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../web/src/api/request';

// The forced password change's state against a stand-in for the one route it calls
// (POST /api/auth/password is tried for real in test/database/auth.test.ts, the dialog in
// test/browser/users-page.test.ts).
const api = vi.hoisted(() => ({ changePassword: vi.fn() }));
vi.mock('../../web/src/api/auth', () => ({ changePassword: api.changePassword }));

const { useChangePassword } = await import('../../web/src/views/account/useChangePassword');

describe('useChangePassword', () => {
  it('a wrong current password is said under that field and nothing else happens', async () => {
    api.changePassword.mockRejectedValueOnce(new ApiError('OLD_PASSWORD_WRONG', '当前密码不正确', 400));
    const onChanged = vi.fn();
    const { dialog, form, submit } = useChangePassword(() => 'wangfang', onChanged);
    dialog.open();
    Object.assign(form, { oldPassword: 'wrong', newPassword: 'Budget#2026a', confirm: 'Budget#2026a' });
    expect(await submit()).toBe(false);
    expect(dialog.serverErrors.message.value).toBe('当前密码不正确');
    expect(dialog.serverErrors.fields.oldPassword).toBe('原密码不正确');
    expect(onChanged).not.toHaveBeenCalled();
    expect(dialog.visible.value).toBe(true);
    expect(form.newPassword).toBe('Budget#2026a');
  });

  it('a change that succeeds clears the form and tells the page, and the dialog does not close itself', async () => {
    api.changePassword.mockResolvedValueOnce(undefined);
    const onChanged = vi.fn();
    const { dialog, form, submit } = useChangePassword(() => 'wangfang', onChanged);
    dialog.open();
    Object.assign(form, { oldPassword: 'Initial#2026', newPassword: 'Budget#2026a', confirm: 'Budget#2026a' });
    expect(await submit()).toBe(true);
    expect(api.changePassword).toHaveBeenLastCalledWith('Initial#2026', 'Budget#2026a');
    expect(onChanged).toHaveBeenCalledTimes(1);
    expect({ ...form }).toEqual({ oldPassword: '', newPassword: '', confirm: '' });
    expect(dialog.visible.value).toBe(true);
  });

  it('a second click while the change is on its way sends nothing more', async () => {
    let release!: () => void;
    api.changePassword.mockReset();
    api.changePassword.mockImplementationOnce(() => new Promise<void>((r) => (release = r)));
    const { dialog, form, submit } = useChangePassword(() => 'wangfang', vi.fn());
    dialog.open();
    Object.assign(form, { oldPassword: 'Initial#2026', newPassword: 'Budget#2026a', confirm: 'Budget#2026a' });
    const first = submit();
    await Promise.resolve();
    await Promise.resolve();
    expect(await submit()).toBe(false);
    release();
    expect(await first).toBe(true);
    expect(api.changePassword).toHaveBeenCalledTimes(1);
  });
});
