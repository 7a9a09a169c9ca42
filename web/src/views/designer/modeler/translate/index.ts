import { chineseTranslate } from './ChineseTranslate';

/** 中文标签（调色板、上下文菜单、属性面板）：替换 diagram-js 的 translate 服务 */
export default {
  translate: ['value', chineseTranslate],
};
