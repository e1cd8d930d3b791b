// Breaking-change check of schema.graphql against a base version (README, "Schema
// changes"). A breaking change passes only when SCHEMA_CHANGELOG.md gained, since the
// base, a line naming its schema coordinate in backticks (`Type.field`,
// `Type.field(arg:)`, `Enum.VALUE`, `Type`); removing a field, argument, input field or
// enum value also needs it to have been @deprecated in the base first.
//
// The base: $SCHEMA_BASE when set; else the merge base with main (a branch is compared with
// where it left main, committed and uncommitted changes alike); on main itself, HEAD~1 (the
// last commit and whatever is uncommitted); in a clone without history, HEAD.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { diff, CriticalityLevel } from "@graphql-inspector/core";
import {
  buildSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
} from "graphql";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SCHEMA = "schema.graphql";
const CHANGELOG = "SCHEMA_CHANGELOG.md";

function git(...args) {
  try {
    return execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

function chooseBase() {
  if (process.env.SCHEMA_BASE) return { rev: process.env.SCHEMA_BASE, why: "$SCHEMA_BASE" };
  const head = git("rev-parse", "HEAD");
  for (const main of ["main", "origin/main"]) {
    const mergeBase = git("merge-base", "HEAD", main);
    if (mergeBase && mergeBase !== head) return { rev: mergeBase, why: `merge base with ${main}` };
  }
  const parent = git("rev-parse", "--verify", "--quiet", "HEAD~1");
  if (parent) return { rev: parent, why: "HEAD~1 (nothing ahead of main)" };
  return { rev: "HEAD", why: "HEAD (no history: uncommitted changes only)" };
}

// Inspector paths are `Type.field.arg`; schema coordinates write arguments `Type.field(arg:)`.
function coordinate(change) {
  const path = change.path ?? "";
  const parts = path.split(".");
  if (parts.length === 3) return `${parts[0]}.${parts[1]}(${parts[2]}:)`;
  return path;
}

const REMOVALS = new Set(["FIELD_REMOVED", "INPUT_FIELD_REMOVED", "FIELD_ARGUMENT_REMOVED", "ENUM_VALUE_REMOVED"]);

function deprecatedIn(schema, change) {
  const [typeName, member, arg] = (change.path ?? "").split(".");
  const type = schema.getType(typeName);
  if (!type || member === undefined) return false;
  if (isEnumType(type)) return Boolean(type.getValue(member)?.deprecationReason);
  if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
    const field = type.getFields()[member];
    if (!field) return false;
    if (arg === undefined) return Boolean(field.deprecationReason);
    return Boolean(field.args?.find((a) => a.name === arg)?.deprecationReason);
  }
  return false;
}

// Enums a client can send: reachable from an argument or an input field.
function inputEnums(schema) {
  const names = new Set();
  const seenInputs = new Set();
  const visitInput = (type) => {
    const named = getNamedType(type);
    if (isEnumType(named)) names.add(named.name);
    if (isInputObjectType(named) && !seenInputs.has(named.name)) {
      seenInputs.add(named.name);
      for (const field of Object.values(named.getFields())) visitInput(field.type);
    }
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith("__")) continue;
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) for (const a of field.args) visitInput(a.type);
    }
  }
  return names;
}

const base = chooseBase();
const oldSdl = git("show", `${base.rev}:${SCHEMA}`);
if (oldSdl === null) {
  console.log(`schema check: no ${SCHEMA} at ${base.why}; nothing to compare`);
  process.exit(0);
}
const oldSchema = buildSchema(oldSdl);
const newSchema = buildSchema(readFileSync(resolve(root, SCHEMA), "utf8"));
const changes = await diff(oldSchema, newSchema);

const oldChangelog = new Set((git("show", `${base.rev}:${CHANGELOG}`) ?? "").split("\n"));
let newLines = [];
try {
  newLines = readFileSync(resolve(root, CHANGELOG), "utf8").split("\n").filter((l) => !oldChangelog.has(l));
} catch {
  newLines = [];
}
const announced = (coord) => newLines.some((line) => line.includes(`\`${coord}\``));

const sendable = inputEnums(oldSchema);
const failures = [];
const accepted = [];
const dangerous = [];
let safe = 0;
for (const change of changes) {
  let level = change.criticality.level;
  // An enum that only appears in results (error codes, states) loses a value without
  // breaking any request: no client can send it, and no response will contain it again.
  if (change.type === "ENUM_VALUE_REMOVED" && !sendable.has((change.path ?? "").split(".")[0])) {
    level = CriticalityLevel.Dangerous;
  }
  if (level === CriticalityLevel.NonBreaking) {
    safe += 1;
    continue;
  }
  if (level === CriticalityLevel.Dangerous) {
    dangerous.push(change);
    continue;
  }
  const coord = coordinate(change);
  const problems = [];
  if (REMOVALS.has(change.type) && !deprecatedIn(oldSchema, change)) {
    problems.push(`it was not @deprecated at ${base.why}: deprecate it (with the replacement in the reason) before removing it`);
  }
  if (!announced(coord)) problems.push(`${CHANGELOG} has no new line naming \`${coord}\``);
  (problems.length ? failures : accepted).push({ change, coord, problems });
}

console.log(
  `schema check against ${base.why} (${base.rev.slice(0, 12)}): ${changes.length} changes, ` +
    `${failures.length + accepted.length} breaking (${accepted.length} announced), ${dangerous.length} dangerous, ${safe} safe`,
);
for (const change of dangerous) console.log(`  dangerous: ${change.message}`);
for (const { change, coord } of accepted) console.log(`  breaking, announced: \`${coord}\`: ${change.message}`);
for (const { change, coord, problems } of failures) {
  console.log(`  BREAKING: \`${coord}\`: ${change.message}`);
  for (const problem of problems) console.log(`    - ${problem}`);
}
if (failures.length) {
  console.log(`\n${failures.length} breaking change(s) not allowed; see ${CHANGELOG} for the rule.`);
  process.exit(1);
}
