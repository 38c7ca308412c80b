import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

// The README and docs/ link to each other, to source files and to headings; a file moved or a heading
// renamed would otherwise leave a link that leads nowhere, which nobody notices until a reader follows it.
const ROOT = resolve(import.meta.dirname, "..");
const DOCUMENTS = [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => `docs/${name}`),
];

/** Inline links and images, `[text](target)` and `![alt](target)`, outside fenced code blocks and code spans. */
function linkTargets(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, "").replace(/`[^`\n]*`/g, "");
  return [...prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].flatMap((match) => match[1] ?? []);
}

/** GitHub's anchor for each heading: lower-cased, punctuation dropped, spaces as hyphens, repeats numbered. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const headings = markdown.replace(/^```[\s\S]*?^```/gm, "").matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm);
  for (const [, heading = ""] of headings) {
    const text = heading.replace(/\[([^\]]*)\]\([^)]*\)/g, "$1");
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const count = seen.get(slug) ?? 0;
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
    seen.set(slug, count + 1);
  }
  return anchors;
}

function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target);
}

describe("links in the README and docs/", () => {
  it.each(DOCUMENTS)("%s: every relative link names a file or heading that exists", (document) => {
    const markdown = readFileSync(join(ROOT, document), "utf8");
    const broken: string[] = [];
    for (const target of linkTargets(markdown).filter((link) => !isExternal(link))) {
      const [path = "", anchor] = target.split("#", 2);
      const file = path === "" ? join(ROOT, document) : resolve(ROOT, dirname(document), decodeURIComponent(path));
      if (!existsSync(file)) {
        broken.push(`${target}: no file ${relative(ROOT, file)}`);
        continue;
      }
      if (anchor !== undefined && statSync(file).isFile() && file.endsWith(".md")) {
        if (!headingAnchors(readFileSync(file, "utf8")).has(anchor))
          broken.push(`${target}: no heading #${anchor} in ${relative(ROOT, file)}`);
      }
    }
    expect(broken).toEqual([]);
  });
});

// docs/configuration.md is the one list of settings; a setting src/config reads that it lacks, or a row for one nothing
// reads any more, would mislead whoever deploys.
describe("docs/configuration.md", () => {
  const configDirectory = join(ROOT, "src/config");
  const configSource = readdirSync(configDirectory)
    .filter((name) => name.endsWith(".ts"))
    .map((name) => readFileSync(join(configDirectory, name), "utf8"))
    .join("\n");
  const read = new Set(
    [...configSource.matchAll(/(?:settingText|positiveInteger|randomSecret)\(env, "([A-Z][A-Z0-9_]+)"|env\.([A-Z][A-Z0-9_]+)/g)].flatMap(
      (match) => match[1] ?? match[2] ?? [],
    ),
  );
  const wranglerToml = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
  const documentation = readFileSync(join(ROOT, "docs/configuration.md"), "utf8");
  const documented = new Set(
    documentation
      .split("\n")
      .filter((line) => line.startsWith("| `"))
      .flatMap((line) => [...(line.split("|")[1] ?? "").matchAll(/`([A-Z][A-Z0-9_]+)`/g)].flatMap((match) => match[1] ?? [])),
  );

  it("has a row for every setting and binding src/config reads", () => {
    expect([...read].filter((name) => !documented.has(name))).toEqual([]);
  });

  it("has no row for a name that neither src/config nor wrangler.toml knows", () => {
    const known = (name: string) => read.has(name) || new RegExp(`\\b${name}\\b`).test(wranglerToml);
    expect([...documented].filter((name) => !known(name))).toEqual([]);
  });
});
