/**
 * For the root type check of tests that import SPA modules (test/unit/pages.test.ts): the SPA's
 * own build resolves .vue files and the icon package (web/tsconfig.json, vite); the Node-side
 * compiler does not, and needs only that they are components (the icons pages.ts uses).
 */
declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}

declare module '@element-plus/icons-vue' {
  import type { Component } from 'vue';
  export const Coin: Component;
  export const CreditCard: Component;
  export const DataAnalysis: Component;
  export const DataLine: Component;
  export const DocumentChecked: Component;
  export const EditPen: Component;
  export const Finished: Component;
  export const FolderOpened: Component;
  export const Histogram: Component;
  export const HomeFilled: Component;
  export const List: Component;
  export const Monitor: Component;
  export const OfficeBuilding: Component;
  export const Share: Component;
  export const Stamp: Component;
  export const Switch: Component;
  export const Tickets: Component;
  export const Trophy: Component;
  export const User: Component;
  export const UserFilled: Component;
  export const Wallet: Component;
}
