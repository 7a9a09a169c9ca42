import { computed, shallowRef } from 'vue';
import * as authApi from '../api/auth';
import type { CurrentUser } from '../api/auth';
import { ApiError } from '../api/request';

/** 当前登录用户：全应用共享的一份状态 */
const user = shallowRef<CurrentUser | null>(null);
let loaded: Promise<CurrentUser | null> | null = null;

async function load(): Promise<CurrentUser | null> {
  try {
    user.value = (await authApi.me()).user;
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401) throw e;
    user.value = null;
  }
  return user.value;
}

export function useSession() {
  return {
    user,
    loggedIn: computed(() => user.value !== null),
    /** 首次调用时向服务器确认会话；之后复用结果 */
    ensureLoaded: () => (loaded ??= load().catch((e: unknown) => ((loaded = null), Promise.reject(e)))),
    /** 密码登录：答当前用户，或第二步所需的 challenge（此时尚未登录） */
    async login(username: string, password: string): Promise<{ user: CurrentUser } | { challenge: string }> {
      const answer = await authApi.login(username, password);
      if ('secondFactor' in answer) return { challenge: answer.secondFactor.challenge };
      user.value = answer.user;
      loaded = Promise.resolve(user.value);
      return { user: answer.user };
    },
    /** 登录第二步：动态验证码或恢复码 */
    async completeSecondFactor(challenge: string, code: string) {
      user.value = (await authApi.loginSecondFactor(challenge, code)).user;
      loaded = Promise.resolve(user.value);
      return user.value;
    },
    async logout() {
      await authApi.logout().catch(() => undefined);
      user.value = null;
      loaded = Promise.resolve(null);
    },
    /** 重新向服务器读取当前用户（如修改密码之后） */
    async reload() {
      user.value = (await authApi.me()).user;
      loaded = Promise.resolve(user.value);
      return user.value;
    },
    /** 会话已失效（401）：清空本地状态 */
    expire() {
      user.value = null;
      loaded = Promise.resolve(null);
    },
    can: (permission: string) => user.value?.permissions.includes(permission) ?? false,
  };
}
