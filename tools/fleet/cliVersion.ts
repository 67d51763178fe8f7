import { PulumiCallError, PulumiCliOptions, runPulumi } from "./pulumiCli";

/** A Pulumi CLI version, as `pulumi version` prints it ("v3.248.0"; dev builds add "-dev.0" and more). */
export interface CliVersion {
    readonly major: number;
    readonly minor: number;
    readonly patch: number;
    /** As printed, for messages. */
    readonly text: string;
}

/**
 * The first CLI that reads a passphrase stack's plain outputs without the passphrase: pulumi/pulumi#21141, fixed by
 * pulumi/pulumi#23820 in 3.252.0 (CHANGELOG.md). Older CLIs construct the secrets manager, and so need the
 * passphrase, for every `pulumi stack output` (pkg/cmd/pulumi/stack/stack_output.go, SnapshotStackOutputs).
 */
export const FIRST_CLI_READING_OUTPUTS_WITHOUT_PASSPHRASE = { major: 3, minor: 252, patch: 0 } as const;

/**
 * What an older CLI says then: "constructing secrets manager of type "passphrase": …"
 * (pkg/backend/secrets/providers.go) around "passphrase must be set with PULUMI_CONFIG_PASSPHRASE or
 * PULUMI_CONFIG_PASSPHRASE_FILE environment variables" (pkg/secrets/passphrase/manager.go); whatever wraps it is
 * not documented, so either part is enough.
 */
const PASSPHRASE_NEEDED =
    /secrets manager of type "passphrase"|passphrase must be set with PULUMI_CONFIG_PASSPHRASE|incorrect passphrase/i;

/** Whether a CLI error says that the stack's passphrase was needed. Pure. */
export function mentionsPassphrase(error: string): boolean {
    return PASSPHRASE_NEEDED.test(error);
}

/** Parses `pulumi version` output (cmd/pulumi/version/version.go prints version.Version and a newline). Pure. */
export function parseCliVersion(printed: string): CliVersion {
    const text = printed.trim();
    const match = /^v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(text);
    if (match === null) throw new Error(`not a version: ${text}`);
    return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]), text };
}

/** Whether `version` reads a passphrase stack's plain outputs without the passphrase. Pure. */
export function readsOutputsWithoutPassphrase(version: CliVersion): boolean {
    const first = FIRST_CLI_READING_OUTPUTS_WITHOUT_PASSPHRASE;
    return (
        version.major > first.major ||
        (version.major === first.major &&
            (version.minor > first.minor || (version.minor === first.minor && version.patch >= first.patch)))
    );
}

/** The CLI's version, or undefined when `pulumi version` fails: the report goes on without it. */
export async function readCliVersion(options: PulumiCliOptions): Promise<CliVersion | undefined> {
    try {
        return await runPulumi(["version"], options, parseCliVersion, "it printed no version");
    } catch (error) {
        if (error instanceof PulumiCallError) return undefined;
        throw error;
    }
}

/** The real cause and the fix of a failed stack read, when the CLI's age explains it; undefined otherwise. Pure. */
export function explainReadError(
    error: string,
    version: CliVersion | undefined,
): { readonly message: string; readonly action: string } | undefined {
    if (!mentionsPassphrase(error)) return undefined;
    if (version !== undefined && readsOutputsWithoutPassphrase(version)) return undefined;
    const cli = version === undefined ? "this Pulumi CLI (its version is unknown)" : `Pulumi CLI ${version.text}`;
    return {
        message: `${error} (${cli} needs the stack's passphrase even for outputs that are not secret: pulumi/pulumi#21141, fixed in 3.252.0)`,
        action: "install Pulumi CLI 3.252.0 or later, which reads the outputs without the passphrase, or set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) for this stack",
    };
}
