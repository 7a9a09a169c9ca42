/**
 * What every workbook the platform writes shares (the API's exports and the 决算 report alike):
 * yuan with two decimals and thousands separators, for cells that hold fen ÷ 100.
 */
export const MONEY_FORMAT = '#,##0.00';
