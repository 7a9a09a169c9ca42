import { reactive, watch } from 'vue';
import { ApiError } from '../api/request';
import { enrolSeal, getMySeal, type SealStatus } from '../api/seals';
import { useFormDialog } from '../composables/useFormDialog';
import { useSession } from '../session/useSession';
import { pinProblem } from '../../../domain/seal-pin';

/** 新签章密码两次输入的检查（与服务端同一条规则，domain/seal-pin.ts） */
export function newPinProblem(pin: string, confirm: string): string | null {
  return pinProblem(pin) ?? (pin === confirm ? null : '两次输入的签章密码不一致');
}

export type SealDialogMode = 'pin' | 'enrol' | 'locked';

export interface SealForm {
  pin: string;
  /** 开通时再次输入的签章密码 */
  confirm: string;
}

/**
 * 签章对话框的状态：全应用一份，对话框（SealDialog.vue，FormDialog）挂在 App.vue 上。
 * 是否可见、提交中、签章密码、对话框里的错误由 useFormDialog 管（提交中再点一次不会重复提交、不能关闭）。
 */
const dialog = useFormDialog<SealForm>({ empty: () => ({ pin: '', confirm: '' }) });
const state = reactive({
  mode: 'pin' as SealDialogMode,
  /** 本次要签章的事：办理审批、批量审批、下达指标… */
  action: '',
  status: null as SealStatus | null,
});

interface Pending {
  run: (pin: string) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}
let pending: Pending | null = null;

type Outcome = { value: unknown } | { error: unknown };

function finish(outcome: Outcome): void {
  const p = pending;
  pending = null;
  dialog.visible.value = false;
  dialog.form.pin = '';
  dialog.form.confirm = '';
  if (!p) return;
  if ('error' in outcome) p.reject(outcome.error);
  else p.resolve(outcome.value);
}

// 对话框被关闭（取消、右上角、Esc；提交中 useFormDialog 不允许关闭）：本次签章取消，调用方得到 null
watch(dialog.visible, (visible) => {
  if (!visible && pending) finish({ value: null });
});

/** 在对话框里说明（不关闭对话框、不发请求） */
function say(message: string): void {
  dialog.serverErrors.clear();
  dialog.serverErrors.message.value = message;
}

async function confirm(): Promise<void> {
  if (dialog.submitting.value || !pending) return;
  if (state.mode === 'locked') return finish({ value: null });
  const { form } = dialog;
  const problem =
    state.mode === 'enrol' ? newPinProblem(form.pin, form.confirm) : /^\d{6}$/.test(form.pin) ? null : '请输入 6 位数字签章密码';
  if (problem) return say(problem);
  const task = pending;
  let outcome: Outcome | undefined;
  await dialog.submit(
    async (f) => {
      if (state.mode === 'enrol') {
        try {
          await enrolSeal(f.pin);
        } catch (e) {
          // 另一页已开通：改为输入签章密码
          if (e instanceof ApiError && e.code === 'SEAL_ALREADY_ENROLLED') {
            state.mode = 'pin';
            f.pin = '';
            f.confirm = '';
            throw new ApiError(e.code, '您已开通电子签章，请输入签章密码', e.status);
          }
          if (e instanceof ApiError) throw new ApiError(e.code, e.details[0]?.message ?? e.message, e.status);
          throw new ApiError('SEAL_ENROL_FAILED', '开通电子签章失败，请稍后再试');
        }
        state.status = await getMySeal().catch(() => state.status);
      }
      try {
        outcome = { value: await task.run(f.pin) };
      } catch (e) {
        if (e instanceof ApiError && e.code === 'SEAL_PIN_WRONG') {
          f.pin = '';
          throw e;
        }
        if (e instanceof ApiError && e.code === 'SEAL_LOCKED') {
          state.mode = 'locked';
          throw e;
        }
        // 尚未开通（或已被吊销）：在同一个对话框里开通
        if (e instanceof ApiError && e.code === 'SEAL_NOT_ENROLLED') state.mode = 'enrol';
        // 其他错误交给调用方处理（对话框关闭）
        else outcome = { error: e };
      }
    },
    '签章失败，请稍后再试',
    { keepOpen: true },
  );
  if (outcome) finish(outcome);
}

/**
 * 须加盖电子签章的操作（办理审批、批量审批、下达指标…）都经过这里：本人的角色可以签章时，先问签章
 * 密码；尚未开通的，引导在同一个对话框里开通（设置签章密码两次），开通后立即用它签章。签章密码
 * 错误、签章已锁定在对话框里说明，不关闭对话框、不丢表单；其他错误交给调用方处理。
 * 返回操作的结果；取消时返回 null。角色不需签章的人直接办理。
 */
export function useSealing() {
  const session = useSession();

  async function run<T>(action: string, operation: (pin: string | undefined) => Promise<T>): Promise<T | null> {
    if (!session.can('seals:sign')) return operation(undefined);
    if (pending) return null; // 已有一个签章对话框在等待
    const status = await getMySeal();
    state.status = status;
    state.action = action;
    // 已获授权重新开通（遗忘了签章密码）：直接设置新签章密码
    state.mode = status.lockedUntil && !status.reenrolment ? 'locked' : status.enrolled && !status.reenrolment ? 'pin' : 'enrol';
    dialog.open();
    if (status.lockedUntil) say(`签章密码连续错误次数过多，签章已锁定，请于 ${status.lockedUntil.slice(11, 16)} 后重试`);
    return new Promise<T | null>((resolve, reject) => {
      pending = { run: (pin) => operation(pin), resolve: resolve as (v: unknown) => void, reject };
    });
  }

  return { dialog, state, run, confirm, cancel: () => finish({ value: null }) };
}
