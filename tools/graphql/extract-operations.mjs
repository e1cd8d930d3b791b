// Every ```graphql block of README.md becomes generated/operations/readme-NN.graphql, the
// documents graphql-codegen types and checks against schema.graphql.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const readme = readFileSync(resolve(here, "../../README.md"), "utf8");
const out = resolve(here, "generated/operations");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
// Blocks may be indented (inside a list item); the indentation is removed.
const blocks = [...readme.matchAll(/^( *)```graphql\n([\s\S]*?)^\1```$/gm)].map((m) =>
  m[2].split("\n").map((line) => line.slice(m[1].length)).join("\n"),
);
if (blocks.length === 0) {
  console.error("README.md has no ```graphql blocks");
  process.exit(1);
}
blocks.forEach((text, i) => writeFileSync(resolve(out, `readme-${String(i + 1).padStart(2, "0")}.graphql`), text));
console.log(`README.md: ${blocks.length} GraphQL documents`);
