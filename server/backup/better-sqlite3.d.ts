/**
 * The part of better-sqlite3 (knex's SQLite driver, already a dependency) that the backup uses
 * directly: it needs the file's exclusive lock and VACUUM INTO on one connection, which knex's
 * pool does not give. The package ships no types and @types/better-sqlite3 is not installed.
 */
declare module 'better-sqlite3' {
  namespace Database {
    interface Statement {
      run(...params: unknown[]): { changes: number };
      get(...params: unknown[]): unknown;
      all(...params: unknown[]): unknown[];
      iterate(...params: unknown[]): Iterable<unknown>;
    }
    interface Database {
      prepare(sql: string): Statement;
      exec(sql: string): Database;
      pragma(sql: string, options?: { simple?: boolean }): unknown;
      close(): void;
    }
    interface Options {
      readonly?: boolean;
      fileMustExist?: boolean;
      timeout?: number;
    }
  }
  const Database: new (filename: string, options?: Database.Options) => Database.Database;
  export = Database;
}
