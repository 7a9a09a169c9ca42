import CatalogueSelectProvider from './CatalogueSelectProvider';

/** 候选组、表单、主题、决策表从目录选择（需在 Modeler 配置中给出 designerCatalogue） */
export default {
  __init__: ['catalogueSelectProvider'],
  catalogueSelectProvider: ['type', CatalogueSelectProvider],
};
