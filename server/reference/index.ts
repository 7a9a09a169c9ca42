/** Reference data: regions, organisations, classification code tables, and their seed. */
export * from './codes';
export * from './code-files';
export * from './code-tables';
export * from './organisations';
export * from './regions';
export * from './seed';
