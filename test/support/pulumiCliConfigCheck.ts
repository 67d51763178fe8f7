// What the Pulumi CLI checks before the program runs, for a project whose Pulumi.yaml types its config
// (pkg/workspace/config.go, mergeConfig and validateStackConfigValues, read from pulumi/pulumi). Tests use it to
// tell which bad configs the program can ever see, and to show the CLI's own message for the others.

import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

export interface ConfigItemsType {
    type: string;
    items?: ConfigItemsType;
}
export interface ConfigDeclaration extends ConfigItemsType {
    description?: string;
    default?: unknown;
    secret?: boolean;
    value?: unknown;
}

/** The CLI's check of a value against a declared type (ValidateConfigValue, sdk/go/common/workspace/project.go). */
export function fitsDeclaredType(declared: ConfigItemsType, value: unknown): boolean {
    switch (declared.type) {
        case "string":
            return typeof value === "string";
        case "integer":
            // A whole YAML number, or a string strconv.Atoi accepts.
            return Number.isInteger(value) || (typeof value === "string" && /^[-+]?\d+$/.test(value));
        case "boolean":
            return typeof value === "boolean" || value === "true" || value === "false";
        case "array":
            return (
                Array.isArray(value) &&
                declared.items !== undefined &&
                value.every((item) => fitsDeclaredType(declared.items!, item))
            );
        default:
            return false;
    }
}

/** InferFullTypeName (project.go): "array<string>" for a list of strings. */
function typeName(declared: ConfigItemsType): string {
    return declared.items ? `array<${typeName(declared.items)}>` : declared.type;
}

/** The project's typed config, from Pulumi.yaml. */
export function projectConfigDeclarations(projectRoot: string): Record<string, ConfigDeclaration> {
    const project = parse(fs.readFileSync(path.join(projectRoot, "Pulumi.yaml"), "utf8")) as {
        config: Record<string, ConfigDeclaration>;
    };
    return project.config;
}

/**
 * The error the CLI prints before the program runs, or undefined when it lets the stack through. `stored` is the
 * stack file's values as the program receives them (lists as JSON text, everything else a string, as
 * `pulumi config set` stores it). Missing required keys come first, all in one message; then the typed keys in
 * sorted order, and only the first that does not fit is named.
 */
export function pulumiCliConfigError(
    declarations: Record<string, ConfigDeclaration>,
    stack: string,
    stored: Readonly<Record<string, unknown>>,
): string | undefined {
    const keys = Object.keys(declarations).sort();
    const missing = keys.filter(
        (key) =>
            stored[key] === undefined &&
            declarations[key].default === undefined &&
            declarations[key].value === undefined,
    );
    if (missing.length > 0) {
        const names = missing.map((key) => `'${key}'`);
        const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
        return `Stack '${stack}' is missing configuration value${missing.length === 1 ? "" : "s"} ${list}`;
    }
    for (const key of keys) {
        if (stored[key] === undefined) continue;
        if (!fitsDeclaredType(declarations[key], asStackValue(stored[key]))) {
            return `Stack '${stack}' with configuration key '${key}' must be of type '${typeName(declarations[key])}'`;
        }
    }
    return undefined;
}

/** A stored value as the CLI decodes it: object (list) values from their JSON, the rest as the string they are. */
function asStackValue(value: unknown): unknown {
    if (typeof value !== "string") return value;
    try {
        const parsed: unknown = JSON.parse(value);
        return typeof parsed === "object" && parsed !== null ? parsed : value;
    } catch {
        return value;
    }
}
