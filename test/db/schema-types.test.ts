/**
 * src/db/schema.ts against the migrated database: every table of the `public` schema (but
 * Kysely's migration bookkeeping) is a property of `Database`, every column a property of its
 * table interface and back, with the same nullability and a matching type family:
 *
 *   text, varchar, uuid → string        integer, smallint → number
 *   bigint → number and/or string       timestamptz → Date
 *   boolean → boolean                   jsonb → an object, array or unknown
 *   text[] → string[]
 *
 * A column optional on insert (Generated<...>, a ColumnType whose insert type takes undefined)
 * must have a default or be nullable. The interfaces are read with the TypeScript compiler API
 * (the select type of ColumnType<S, I, U> is S). Runs on each backend of test/helpers/backends.ts.
 */
import t from 'tap';
import path from 'node:path';
import { sql } from 'kysely';
import ts from 'typescript';
import { backends } from '../helpers/backends.js';
import { REPO_ROOT } from '../helpers/repo-paths.js';

const SCHEMA_FILE = path.join(REPO_ROOT, 'src/db/schema.ts');
const BOOKKEEPING = new Set(['kysely_migration', 'kysely_migration_lock']);

interface Column {
  nullable: boolean;
  /** Type families of the select type (or of the database type), e.g. ['string'], ['number', 'string']. */
  families: string[];
  /** Database: has a default. TypeScript: optional on insert. */
  optionalOnInsert: boolean;
  /** The type as written: the SQL type or the TypeScript property type. */
  written: string;
}
type Tables = Map<string, Map<string, Column>>;

/** Families a database type admits: the TypeScript side must use a non-empty subset. */
const SQL_FAMILIES: Record<string, string[]> = {
  text: ['string'],
  uuid: ['string'],
  'character varying': ['string'],
  integer: ['number'],
  smallint: ['number'],
  'double precision': ['number'],
  bigint: ['number', 'string'],
  'timestamp with time zone': ['Date'],
  boolean: ['boolean'],
  jsonb: ['object', 'array', 'unknown'],
  'text[]': ['string[]'],
  bytea: ['Buffer'],
};
/** Database types whose TypeScript side must use every admitted family (not a subset). */
const EXACT = new Set(['text', 'uuid', 'character varying', 'integer', 'smallint', 'timestamp with time zone', 'boolean', 'text[]']);

async function databaseTables(open: () => Promise<import('../../src/db/store.js').Store>): Promise<Tables> {
  const store = await open();
  try {
    const rows = await store.withOperator((db) =>
      sql<{ tbl: string; col: string; nullable: boolean; type: string; has_default: boolean }>`
        select c.relname as tbl, a.attname as col, not a.attnotnull as nullable,
               format_type(a.atttypid, null) as type, (a.atthasdef or a.attidentity <> '') as has_default
        from pg_attribute a
        join pg_class c on c.oid = a.attrelid
        join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped
        order by c.relname, a.attnum`.execute(db),
    );
    const tables: Tables = new Map();
    for (const r of rows.rows) {
      if (BOOKKEEPING.has(r.tbl)) continue;
      if (!tables.has(r.tbl)) tables.set(r.tbl, new Map());
      tables.get(r.tbl)!.set(r.col, { nullable: r.nullable, families: SQL_FAMILIES[r.type] ?? [`(unmapped ${r.type})`], optionalOnInsert: r.has_default, written: r.type });
    }
    return tables;
  } finally {
    await store.close();
  }
}

/** The families of one member of a select type's union. */
function family(checker: ts.TypeChecker, type: ts.Type): string {
  const f = type.flags;
  if (type.getProperty('__select__')) return '(a ColumnType inside Generated<>: selects as the wrapper)';
  if (f & (ts.TypeFlags.String | ts.TypeFlags.StringLiteral | ts.TypeFlags.TemplateLiteral)) return 'string';
  if (f & (ts.TypeFlags.Number | ts.TypeFlags.NumberLiteral)) return 'number';
  if (f & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) return 'boolean';
  if (f & (ts.TypeFlags.Unknown | ts.TypeFlags.Any)) return 'unknown';
  if (checker.isArrayType(type)) {
    const [element] = checker.getTypeArguments(type as ts.TypeReference);
    const inner = element ? family(checker, element) : 'unknown';
    return inner === 'string' ? 'string[]' : 'array';
  }
  if (type.getSymbol()?.getName() === 'Date') return 'Date';
  if (type.getSymbol()?.getName() === 'Buffer') return 'Buffer';
  if (f & ts.TypeFlags.Object || f & ts.TypeFlags.Intersection) return 'object';
  return `(unmapped ${checker.typeToString(type)})`;
}

/** A column's select or insert type: S or I of Kysely's ColumnType<S, I, U>, else the type itself. */
function side(checker: ts.TypeChecker, type: ts.Type, at: ts.Node, key: '__select__' | '__insert__'): ts.Type {
  const prop = type.getProperty(key);
  return prop ? checker.getTypeOfSymbolAtLocation(prop, at) : type;
}

function schemaTables(): Tables {
  const program = ts.createProgram([SCHEMA_FILE], { strict: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, skipLibCheck: true, noEmit: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(SCHEMA_FILE)!;
  const database = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === 'Database');
  if (!database) throw new Error('src/db/schema.ts declares no interface Database');
  const tables: Tables = new Map();
  for (const table of checker.getTypeAtLocation(database).getProperties()) {
    const tableType = checker.getTypeOfSymbolAtLocation(table, database);
    const columns = new Map<string, Column>();
    for (const column of tableType.getProperties()) {
      const declared = checker.getTypeOfSymbolAtLocation(column, database);
      const select = side(checker, declared, database, '__select__');
      const insert = side(checker, declared, database, '__insert__');
      const members = select.isUnion() ? select.types : [select];
      const nullable = members.some((m) => m.flags & ts.TypeFlags.Null);
      const families = [...new Set(members.filter((m) => !(m.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined))).map((m) => family(checker, m)))].sort();
      const insertMembers = insert.isUnion() ? insert.types : [insert];
      const optionalOnInsert = insertMembers.some((m) => m.flags & ts.TypeFlags.Undefined);
      const node = column.valueDeclaration;
      columns.set(column.getName(), { nullable, families, optionalOnInsert, written: node && ts.isPropertySignature(node) && node.type ? node.type.getText(source) : checker.typeToString(declared) });
    }
    tables.set(table.getName(), columns);
  }
  return tables;
}

const declared = schemaTables();

for (const backend of backends) {
  t.test(`${backend.name}: src/db/schema.ts matches the migrated tables`, async (t) => {
    const migrated = await databaseTables(() => backend.open());
    t.same([...declared.keys()].filter((n) => !migrated.has(n)).sort(), [], 'tables in schema.ts that the migrations do not create');
    t.same([...migrated.keys()].filter((n) => !declared.has(n)).sort(), [], 'tables the migrations create that schema.ts lacks');
    for (const [table, columns] of migrated) {
      const types = declared.get(table);
      if (!types) continue;
      t.same([...columns.keys()].filter((c) => !types.has(c)), [], `${table}: columns missing in schema.ts`);
      t.same([...types.keys()].filter((c) => !columns.has(c)), [], `${table}: columns in schema.ts the migrations do not create`);
      for (const [name, db] of columns) {
        const ty = types.get(name);
        if (!ty) continue;
        const where = `${table}.${name} (${db.written}${db.nullable ? ' null' : ' not null'}${db.optionalOnInsert ? ' default' : ''} / ${ty.written})`;
        t.equal(ty.nullable, db.nullable, `${where}: nullable`);
        const fits = ty.families.length > 0 && ty.families.every((f) => db.families.includes(f)) && (!EXACT.has(db.written) || ty.families.length === db.families.length);
        t.ok(fits, `${where}: type family ${ty.families.join(' | ')} for ${db.families.join(' | ')}`);
        if (ty.optionalOnInsert) t.ok(db.optionalOnInsert || db.nullable, `${where}: optional on insert needs a default or null`);
      }
    }
  });
}
