// Pulumi.yaml and Pulumi.example.yaml against the program's config contract (components/config.ts) and against the
// rules the Pulumi CLI applies to a project's typed config before the program runs.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import {
    CONFIG_DEFAULTS,
    CONFIG_KEYS,
    CONFIG_NAMESPACE,
    parseUcxMailConfig,
    type RawConfig,
} from "../components/config";
import { BAD_CONFIGS, CLI_REFUSED_CONFIGS } from "./support/badConfigs";
import { type ConfigDeclaration, fitsDeclaredType, pulumiCliConfigError } from "./support/pulumiCliConfigCheck";

const PROJECT_ROOT = path.resolve(__dirname, "..");

interface TemplateConfigValue {
    description?: string;
    default?: unknown;
    secret?: boolean;
}
interface ProjectFile {
    name: string;
    runtime: { name: string; options?: Record<string, unknown> };
    main?: string;
    config: Record<string, ConfigDeclaration>;
    template?: {
        displayName?: string;
        description?: string;
        quickstart?: string;
        config?: Record<string, TemplateConfigValue>;
    };
}

function readYaml<T>(file: string): T {
    return parse(fs.readFileSync(path.join(PROJECT_ROOT, file), "utf8")) as T;
}

/** Config as the CLI hands it to the program: strings as they are, everything else as JSON text. */
function asProgramConfig(values: Record<string, unknown>): RawConfig {
    return Object.fromEntries(
        Object.entries(values).map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]),
    );
}

const project = readYaml<ProjectFile>("Pulumi.yaml");
const declarations = project.config;

describe("Pulumi.yaml", () => {
    it("names the project after the config namespace the program reads", () => {
        // Project-level config keys live in the project's namespace: ucx-mail:<key>.
        assert.equal(project.name, CONFIG_NAMESPACE);
    });

    it("runs the program as TypeScript on the nodejs runtime, entry point from package.json", () => {
        assert.deepEqual(project.runtime, { name: "nodejs", options: { typescript: true } });
        assert.equal(project.main, undefined);
        const packageJson = readYaml<{ main: string }>("package.json");
        assert.ok(fs.existsSync(path.join(PROJECT_ROOT, packageJson.main)), `package.json main ${packageJson.main}`);
    });

    it("declares exactly the keys the program accepts", () => {
        assert.deepEqual(Object.keys(declarations).sort(), [...CONFIG_KEYS].sort());
    });

    for (const key of CONFIG_KEYS) {
        it(`declares ${key} with a valid type, a description and the program's default`, () => {
            const declared = declarations[key];
            assert.ok(["string", "integer", "boolean", "array"].includes(declared.type), `${key}: type`);
            if (declared.type === "array") assert.deepEqual(declared.items, { type: "string" }, `${key}: items`);
            assert.equal(typeof declared.description, "string");
            assert.ok(declared.description!.trim().length > 20, `${key}: description`);
            assert.equal(declared.value, undefined, `${key}: a project key takes a default, not a value`);
            if (key === "mailboxes") {
                // A typed key without a default is one the CLI requires every stack to set.
                assert.equal("default" in declared, false, "mailboxes has no default: it is required");
                return;
            }
            assert.ok("default" in declared, `${key} has a default, so the CLI does not require it`);
            // The CLI writes a missing key's default into the stack as plain text, then refuses a plain value for a
            // key declared secret: such a key would break every stack that leaves it unset. The program itself
            // refuses a secret key stored in plain text (parseUcxMailConfig's isStoredAsSecret).
            assert.notEqual(declared.secret, true, `${key}: a key with a default cannot be declared secret`);
            assert.ok(fitsDeclaredType(declared, declared.default), `${key}: the CLI accepts its default`);
            const programDefault = (CONFIG_DEFAULTS as Record<string, unknown>)[key] ?? "";
            assert.deepEqual(declared.default, programDefault, `${key}: same default as CONFIG_DEFAULTS`);
        });
    }

    it("gives the program, through its defaults, exactly what the program assumes when a key is unset", () => {
        const mailboxes = { mailboxes: ["fax@contoso.com"] };
        const defaults = Object.fromEntries(
            Object.entries(declarations)
                .filter(([, declared]) => "default" in declared)
                .map(([key, declared]) => [key, declared.default]),
        );
        assert.deepEqual(
            parseUcxMailConfig(asProgramConfig({ ...defaults, ...mailboxes })),
            parseUcxMailConfig(asProgramConfig(mailboxes)),
        );
    });
});

describe("Pulumi.yaml template section (pulumi new)", () => {
    const template = project.template!;
    const prompts = template.config ?? {};

    it("has only the fields of the CLI's ProjectTemplate schema (project.json), with a description", () => {
        for (const field of Object.keys(template)) {
            assert.ok(["displayName", "description", "quickstart", "config", "metadata"].includes(field), field);
        }
        assert.ok((template.description ?? "").length > 20);
        for (const [key, prompt] of Object.entries(prompts)) {
            for (const field of Object.keys(prompt)) assert.ok(["description", "default", "secret"].includes(field));
            assert.ok((prompt.description ?? "").length > 10, `${key}: a prompt text`);
            // The CLI's ProjectTemplateConfigValue holds a default as a string.
            if ("default" in prompt) assert.equal(typeof prompt.default, "string", key);
        }
    });

    it("asks for the tenant id, the one provider setting every stack needs", () => {
        assert.ok("azuread:tenantId" in prompts);
    });

    it("prompts only for keys whose answer, stored as a plain string, passes the CLI's type check and the parser", () => {
        for (const [key, prompt] of Object.entries(prompts)) {
            if (key.startsWith("azuread:")) continue;
            const name = key.startsWith(`${CONFIG_NAMESPACE}:`) ? key.slice(CONFIG_NAMESPACE.length + 1) : key;
            assert.ok((CONFIG_KEYS as readonly string[]).includes(name), `${key} is a ucx-mail key`);
            assert.notEqual(declarations[name].type, "array", `${key}: a prompt answer can never be a list`);
            if (typeof prompt.default === "string") {
                assert.ok(fitsDeclaredType(declarations[name], prompt.default), key);
                parseUcxMailConfig({ mailboxes: '["fax@contoso.com"]', [name]: prompt.default });
            }
        }
    });

    it("names, in the quickstart, every required key it cannot prompt for", () => {
        const required = Object.entries(declarations).filter(([, declared]) => !("default" in declared));
        assert.ok(required.length > 0);
        for (const [key, declared] of required) {
            if (key in prompts || `${CONFIG_NAMESPACE}:${key}` in prompts) continue;
            assert.equal(declared.type, "array");
            assert.ok(
                template.quickstart?.includes(`pulumi config set --path '${key}[0]'`),
                `${key} in the quickstart`,
            );
        }
    });

    it("is offered in the README with the project name kept, since the config namespace is the project name", () => {
        const readme = fs.readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");
        const command = readme.split("\n").find((line) => line.includes("pulumi new "));
        assert.ok(command !== undefined, "README shows pulumi new");
        assert.match(command, new RegExp(`--name ${CONFIG_NAMESPACE}\\b`));
    });
});

describe("Pulumi.example.yaml", () => {
    const example = readYaml<{ config: Record<string, unknown> }>("Pulumi.example.yaml").config;
    const prefix = `${CONFIG_NAMESPACE}:`;
    const ucxMail = Object.fromEntries(
        Object.entries(example)
            .filter(([key]) => key.startsWith(prefix))
            .map(([key, value]) => [key.slice(prefix.length), value]),
    );

    it("is a valid ucx-mail configuration", () => {
        const config = parseUcxMailConfig(asProgramConfig(ucxMail));
        assert.deepEqual(config.mailboxes, ucxMail.mailboxes);
    });

    it("passes the CLI's type check for every ucx-mail value and shows the default of every key but mailboxes", () => {
        for (const [key, value] of Object.entries(ucxMail)) {
            assert.ok(key in declarations, `${key} is declared in Pulumi.yaml`);
            assert.ok(fitsDeclaredType(declarations[key], value), `${key}: ${JSON.stringify(value)}`);
            if (key !== "mailboxes") assert.deepEqual(value, declarations[key].default, `${key} shows its default`);
        }
    });

    it("only sets keys of the ucx-mail project or of a provider the program uses", () => {
        for (const key of Object.keys(example)) {
            assert.match(key, /^(ucx-mail|azuread):[A-Za-z]+$/, key);
        }
    });
});

describe("what the Pulumi CLI checks before the program runs (Pulumi.yaml's types)", () => {
    for (const [title, stored, printed] of CLI_REFUSED_CONFIGS) {
        it(`refuses ${title} itself: ${printed}`, () => {
            assert.equal(pulumiCliConfigError(declarations, "contoso", stored), printed);
        });
    }

    it("lets every config through whose mistakes the program reports, so the program's one message is what users see", () => {
        for (const [title, stored] of BAD_CONFIGS) {
            assert.equal(pulumiCliConfigError(declarations, "contoso", stored), undefined, title);
        }
    });

    it("the README says which check comes first, in the CLI's words", () => {
        const readme = fs.readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");
        assert.ok(readme.includes("with configuration key 'mailboxes' must be of type 'array<string>'"));
        assert.ok(readme.includes("is missing configuration value 'mailboxes'"));
        assert.match(readme, /one message that names every bad key/);
    });
});
