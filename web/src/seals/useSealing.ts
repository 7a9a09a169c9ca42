import { reactive } from 'vue';
import { ApiError } from '../api/request';
import { enrolSeal, getMySeal, type SealStatus } from '../api/seals';
import { useSession } from '../session/useSession';
import { pinProblem } from '../../../domain/seal-pin';

/** 新签章密码两次输入的检查（与服务端同一条规则，domain/seal-pin.ts） */
export function newPinProblem(pin: string, confirm: string): string | null {
  return pinProblem(pin) ?? (pin === confirm ? null : '两次输入的签章密码不一致');
}

export type SealDialogMode = 'pin' | 'enrol' | 'locked';

/** 签章对话框的状态：全应用一份，对话框（SealDialog.vue）挂在 App.vue 上 */
const state = reactive({
  visible: false,
  mode: 'pin' as SealDialogMode,
  /** 本次要签章的事：办理审批、批量审批、下达指标… */
  action: '',
  pin: '',
  confirm: '',
  error: '',
  busy: false,
  status: null as SealStatus | null,
});

interface Pending {
  run: (pin: string) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}
let pending: Pending | null = null;

function finish(outcome: { value: unknown } | { error: unknown }): void {
  const p = pending;
  pending = null;
  state.visible = false;
  state.busy = false;
  state.pin = '';
  state.confirm = '';
  if (!p) return;
  if ('error' in outcome) p.reject(outcome.error);
  else p.resolve(outcome.value);
}

async function confirm(): Promise<void> {
  if (state.busy || !pending) return;
  state.error = '';
  if (state.mode === 'locked') return finish({ value: null });
  if (state.mode === 'enrol') {
    const problem = newPinProblem(state.pin, state.confirm);
    if (problem) {
      state.error = problem;
      return;
    }
  } else if (!/^\d{6}$/.test(state.pin)) {
    state.error = '请输入 6 位数字签章密码';
    return;
  }
  state.busy = true;
  try {
    if (state.mode === 'enrol') {
      try {
        await enrolSeal(state.pin);
      } catch (e) {
        // 另一页已开通：改为输入签章密码
        if (e instanceof ApiError && e.code === 'SEAL_ALREADY_ENROLLED') {
          state.mode = 'pin';
          state.pin = '';
          state.confirm = '';
          state.error = '您已开通电子签章，请输入签章密码';
          return;
        }
        state.error = e instanceof ApiError ? (e.details[0]?.message ?? e.message) : '开通电子签章失败，请稍后再试';
        return;
      }
      state.status = await getMySeal().catch(() => state.status);
    }
    const value = await pending.run(state.pin);
    finish({ value });
  } catch (e) {
    if (e instanceof ApiError && e.code === 'SEAL_PIN_WRONG') {
      state.error = e.message;
      state.pin = '';
    } else if (e instanceof ApiError && e.code === 'SEAL_LOCKED') {
      state.mode = 'locked';
      state.error = e.message;
    } else if (e instanceof ApiError && e.code === 'SEAL_NOT_ENROLLED') {
      state.mode = 'enrol';
      state.error = '';
    } else {
      finish({ error: e });
    }
  } finally {
    state.busy = false;
  }
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
    state.pin = '';
    state.confirm = '';
    state.error = status.lockedUntil ? `签章密码连续错误次数过多，签章已锁定，请于 ${status.lockedUntil.slice(11, 16)} 后重试` : '';
    // 已获授权重新开通（遗忘了签章密码）：直接设置新签章密码
    state.mode = status.lockedUntil && !status.reenrolment ? 'locked' : status.enrolled && !status.reenrolment ? 'pin' : 'enrol';
    state.visible = true;
    return new Promise<T | null>((resolve, reject) => {
      pending = { run: (pin) => operation(pin), resolve: resolve as (v: unknown) => void, reject };
    });
  }

  return { state, run, confirm, cancel: () => finish({ value: null }) };
}
