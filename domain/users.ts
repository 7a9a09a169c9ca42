/**
 * Accounts (用户管理): the statuses, the username rule and the sort keys of the user list, shared
 * by the server (server/auth/admin.ts), the request schemas (contracts/users.ts) and the SPA.
 */

export const USER_STATUSES = ['active', 'disabled'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

/** 3–50 letters, digits, _ . - (what login accepts and a person can type). */
export const USERNAME_PATTERN = /^[A-Za-z0-9_.-]{3,50}$/;

/** The user list's sort keys (server/auth/admin.ts maps each to its column). */
export const USER_SORT_KEYS = ['username', 'displayName', 'createdAt', 'passwordChangedAt'] as const;
export type UserSortKey = (typeof USER_SORT_KEYS)[number];
