// Catalogues are the things a user picks by id: strategies, reward policies, datasets, models,
// attacks, presets. Each entry is defined once, with its id, a human label, help text and (where it
// has any) a zod schema of its parameters with their defaults. The API's request schema, the
// OpenAPI document, the dashboard's form and the CLI all read them from the entry.
//
// This folder is a leaf: it imports only zod, so the folders that define entries (fl/, rewards/,
// engine/) and the domain module that assembles them can all depend on it.
import { z } from "zod";

/** What every catalogue entry says about itself. */
export interface EntryInfo<Id extends string = string> {
  readonly id: Id;
  /** Short name shown in the dashboard's form and the CLI's listings. */
  readonly label: string;
  /** One or two sentences: what it does and when to pick it. */
  readonly help: string;
}

/** Labels and help for one parameter, carried by its schema (`.meta(param(...))`). */
export function param(title: string, description: string): { title: string; description: string } {
  return { title, description };
}

/**
 * The request schema of one variant of a discriminated union: `{ [key]: id, ...params }`, carrying
 * the entry's label and help as its JSON Schema title and description (so they reach OpenAPI).
 */
export function variantSchema<
  const K extends string,
  const Id extends string,
  Shape extends z.ZodRawShape,
>(key: K, info: EntryInfo<Id>, params: Shape) {
  const discriminant = { [key]: z.literal(info.id) } as { [P in K]: z.ZodLiteral<Id> };
  return z.object({ ...discriminant, ...params }).meta({
    title: info.label,
    description: info.help,
  });
}

/** The schema of each entry of a tuple of entries, as a tuple (what z.discriminatedUnion takes). */
export function schemasOf<const T extends readonly { readonly schema: z.ZodObject }[]>(
  entries: T,
): { -readonly [I in keyof T]: T[I]["schema"] } {
  return entries.map((e) => e.schema) as { -readonly [I in keyof T]: T[I]["schema"] };
}

/** The ids of a tuple of entries, as a tuple (what z.enum takes). */
export function idsOf<const T extends readonly EntryInfo[]>(
  entries: T,
): { -readonly [I in keyof T]: T[I]["id"] } {
  return entries.map((e) => e.id) as { -readonly [I in keyof T]: T[I]["id"] };
}

/** Looks an entry up by id; throws with the known ids when there is none. */
export function entryById<E extends EntryInfo>(kind: string, entries: readonly E[], id: string): E {
  const entry = entries.find((e) => e.id === id);
  if (!entry) {
    throw new Error(`unknown ${kind} "${id}"; known: ${entries.map((e) => e.id).join(", ")}`);
  }
  return entry;
}

/**
 * A form- and CLI-friendly description of one parameter, read from its schema's JSON Schema: its
 * type, bounds, default, title and help.
 */
export interface ParamDescription {
  name: string;
  type: "number" | "integer" | "string" | "boolean" | "enum" | "other";
  title: string;
  description: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  default?: unknown;
  options?: readonly string[];
  optional: boolean;
}

interface JsonSchemaProperty {
  type?: string;
  enum?: string[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  default?: unknown;
  title?: string;
  description?: string;
}

/** Describes the parameters of an object schema, skipping the listed keys (a discriminant). */
export function describeParams(
  schema: z.ZodObject,
  skip: readonly string[] = [],
): ParamDescription[] {
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as {
    properties?: Record<string, JsonSchemaProperty>;
    required?: string[];
  };
  const required = new Set(json.required ?? []);
  return Object.entries(json.properties ?? {})
    .filter(([name]) => !skip.includes(name))
    .map(([name, p]) => {
      const type: ParamDescription["type"] = p.enum
        ? "enum"
        : p.type === "number" || p.type === "integer" || p.type === "string" || p.type === "boolean"
          ? p.type
          : "other";
      return {
        name,
        type,
        title: p.title ?? name,
        description: p.description ?? "",
        ...(p.minimum !== undefined ? { minimum: p.minimum } : {}),
        ...(p.maximum !== undefined ? { maximum: p.maximum } : {}),
        ...(p.exclusiveMinimum !== undefined ? { exclusiveMinimum: p.exclusiveMinimum } : {}),
        ...(p.exclusiveMaximum !== undefined ? { exclusiveMaximum: p.exclusiveMaximum } : {}),
        ...(p.default !== undefined ? { default: p.default } : {}),
        ...(p.enum ? { options: p.enum } : {}),
        optional: !required.has(name) || p.default !== undefined,
      };
    });
}

/** The defaults of an object schema's parameters (what `schema.parse({key: id})` fills in). */
export function defaultsOf(schema: z.ZodObject): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const d of describeParams(schema)) if (d.default !== undefined) out[d.name] = d.default;
  return out;
}
