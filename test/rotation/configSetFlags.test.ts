// Every `pulumi config set` the project tells a user to run, in its docs and in the fix texts its tools and program
// print, must run as written. The CLI refuses a plain value that looks random when the key's name looks like a
// secret's, unless --plaintext or --secret is given (looksLikeSecret in pkg/cmd/pulumi/config/config.go of
// pulumi/pulumi). Whether a value is refused depends on its entropy, so a command is only safe with the flag.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parseUcxMailConfig, SECRET_LOOKING_KEY_NAME as SECRET_LOOKING_KEY } from "../../components/config";

const ROOT = path.resolve(__dirname, "..", "..");

/** Flags of `pulumi config set` that take a value (pulumi config set --help). */
const FLAGS_WITH_VALUE = new Set(["-s", "--stack", "--type", "--config-file", "-C", "--cwd"]);

/** The files a user reads commands from: the docs, the project files, and the sources of printed fix texts. */
function documentedFiles(): string[] {
    const under = (folder: string, pattern: RegExp): string[] =>
        readdirSync(path.join(ROOT, folder), { recursive: true, encoding: "utf8" })
            .filter((name) => pattern.test(name) && !name.includes("node_modules"))
            .map((name) => path.join(folder, name));
    return [
        "README.md",
        "Pulumi.yaml",
        "Pulumi.example.yaml",
        "index.ts",
        ...under("docs", /\.md$/),
        ...under(".github", /\.ya?ml$/),
        ...under("components", /\.(ts|ps1|psm1)$/),
        ...under("tools", /\.ts$/),
        ...under("policy", /\.ts$/),
    ];
}

export interface ConfigSetCommand {
    readonly file: string;
    readonly text: string;
    readonly key: string;
    readonly flags: readonly string[];
}

/** The `pulumi config set` commands in a text: each up to the end of its code span, string, line or clause. */
export function configSetCommands(file: string, content: string): ConfigSetCommand[] {
    const commands: ConfigSetCommand[] = [];
    for (const match of content.matchAll(/pulumi config set\b([^`\n,;|&#]*)/g)) {
        const words = match[1].trim().split(/\s+/).filter(Boolean);
        const flags: string[] = [];
        let key: string | undefined;
        for (let index = 0; index < words.length && key === undefined; index++) {
            const word = words[index];
            if (word.startsWith("-")) {
                flags.push(word.split("=")[0]);
                if (FLAGS_WITH_VALUE.has(word) && !word.includes("=")) index++;
            } else {
                key = word.replace(/^['"]|['"]$/g, "");
            }
        }
        // A key the code fills in (`${key}`) is checked where it is filled in, by the tests of its fix texts.
        if (key?.includes("${")) continue;
        // Flags may also follow the key and value.
        for (const word of words) if (word.startsWith("--") && !flags.includes(word)) flags.push(word);
        if (key !== undefined) commands.push({ file, text: match[0].trim(), key, flags });
    }
    return commands;
}

/** The key's name as the CLI matches it: without the `project:` namespace. */
function keyName(key: string): string {
    return key.includes(":") ? key.slice(key.indexOf(":") + 1) : key;
}

describe("documented pulumi config set commands", () => {
    const commands = documentedFiles().flatMap((file) =>
        configSetCommands(file, readFileSync(path.join(ROOT, file), "utf8")),
    );
    const secretLooking = commands.filter((command) => SECRET_LOOKING_KEY.test(keyName(command.key)));

    it("finds the commands it must check, the forced rotation among them", () => {
        const forced = secretLooking.filter((command) => keyName(command.key) === "secretRotationKey");
        const files = new Set(forced.map((command) => command.file));
        for (const file of ["docs/rotation.md", "docs/doctor.md", "tools/doctor/fixCatalogue.ts"]) {
            assert.ok(files.has(file), `the forced rotation in ${file}`);
        }
        assert.ok(secretLooking.some((command) => keyName(command.key) === "exchangeClientSecret"));
    });

    it("gives --plaintext or --secret to every key whose name the CLI takes for a secret's", () => {
        const refusable = secretLooking.filter(
            (command) => !command.flags.includes("--plaintext") && !command.flags.includes("--secret"),
        );
        assert.deepEqual(
            refusable.map((command) => `${command.file}: ${command.text}`),
            [],
            "the CLI refuses these whenever the value looks random",
        );
    });

    it("gives the flag in the program's own fix texts for secretRotationKey and secretRotationDays", () => {
        const fixes: string[] = [];
        for (const raw of [{ secretRotationKey: "it's" }, { secretRotationDays: "often" }]) {
            try {
                parseUcxMailConfig({ mailboxes: '["fax@contoso.com"]', ...raw });
            } catch (error) {
                fixes.push((error as Error).message);
            }
        }
        const printed = fixes.flatMap((text) => configSetCommands("config error", text));
        assert.deepEqual(
            printed.map((command) => [keyName(command.key), command.flags]),
            [
                ["secretRotationKey", ["--plaintext"]],
                ["secretRotationDays", ["--plaintext"]],
            ],
        );
    });

    it("reads keys, flags and namespaces the way the CLI does", () => {
        const parsed = configSetCommands(
            "example",
            "`pulumi config set --path 'owners[0]' x`, pulumi config set -s prod --secret exchangeClientSecret v\n" +
                'pulumi config set ucx-mail:secretRotationKey "$(date -u +%Y-%m-%dT%H%M)" --plaintext',
        );
        assert.deepEqual(
            parsed.map(({ key, flags }) => ({ key, flags })),
            [
                { key: "owners[0]", flags: ["--path"] },
                { key: "exchangeClientSecret", flags: ["-s", "--secret"] },
                { key: "ucx-mail:secretRotationKey", flags: ["--plaintext"] },
            ],
        );
        assert.ok(SECRET_LOOKING_KEY.test(keyName("ucx-mail:secretRotationKey")));
        assert.ok(!SECRET_LOOKING_KEY.test(keyName("ucx-mail:mailboxes")));
    });
});
