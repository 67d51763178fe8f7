import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

/** The directory holding the test double's `pulumi` executable. */
export const FAKE_PULUMI_DIR = join(__dirname, "..", "fake-pulumi");

/** One update in a stack's history, newest first in FakeStack.history. */
export interface FakeUpdate {
    /** apitype.UpdateKind (sdk/go/common/apitype/history.go): update, refresh, destroy, ... */
    readonly kind: string;
    /** apitype.UpdateResult (same file): succeeded, failed, in-progress, not-started. */
    readonly result: string;
    readonly startTime: Date;
    /** Absent while in progress. */
    readonly endTime?: Date;
}

/** How one CLI call fails: what the real CLI prints on stderr, and its exit code. */
export interface FakeFailure {
    readonly exitCode: number;
    readonly stderr: string;
}

/** One stack of the fake backend. */
export interface FakeStack {
    readonly name: string;
    /** Stack outputs as the program exports them; keys in `secretOutputs` are Pulumi secrets. */
    readonly outputs?: Readonly<Record<string, unknown>>;
    readonly secretOutputs?: readonly string[];
    /** Newest first; empty or absent: never deployed. */
    readonly history?: readonly FakeUpdate[];
    readonly failOutput?: FakeFailure;
    readonly failHistory?: FakeFailure;
    /** Encrypted with the passphrase secrets provider (the default of a file or azblob backend). */
    readonly passphrase?: boolean;
}

/** Backend-wide behaviour of the fake. */
export interface FakeWorldOptions {
    /** "cloud" adds updateInProgress and url to stack ls, as the Pulumi Cloud backend does; "diy" does not. */
    readonly backend?: "cloud" | "diy";
    /** 6 in this CLI (ExitStackNotFound); 255 in older ones. */
    readonly stackNotFoundExitCode?: number;
    /** Makes `pulumi stack ls` itself fail. */
    readonly failStackList?: FakeFailure;
    /** Names as `stack ls` prints them but with no stack behind (deleted between ls and output). */
    readonly listedButMissing?: readonly string[];
    /** What `pulumi version` prints; before v3.252.0 a passphrase stack's outputs need the passphrase. */
    readonly cliVersion?: string;
}

/** A fake backend on disk plus the environment that puts the double first on PATH. */
export interface FakePulumiWorld {
    readonly env: NodeJS.ProcessEnv;
    /** Every call's arguments, in the order they finished. */
    calls(): string[];
    /** The most calls that were running at the same moment (needs UCX_FAKE_PULUMI_TIMING in extraEnv). */
    maxParallelCalls(): number;
    cleanup(): void;
}

/** Writes the world the double answers from, in the CLI's exact --json shapes. */
export function createFakePulumiWorld(
    stacks: readonly FakeStack[],
    options: FakeWorldOptions = {},
    extraEnv: NodeJS.ProcessEnv = {},
): FakePulumiWorld {
    const world = mkdtempSync(join(tmpdir(), "ucx-fake-fleet-"));
    writeFileSync(join(world, "calls.log"), "");
    writeFileSync(join(world, "stack-not-found-exit-code"), `${options.stackNotFoundExitCode ?? 6}\n`);
    const cliVersion = options.cliVersion ?? "v3.252.0";
    writeFileSync(join(world, "cli-version"), `${cliVersion}\n`);
    writeFileSync(join(world, "cli-minor"), `${cliVersion.split(".")[1]}\n`);
    const names = [...stacks.map((stack) => stack.name), ...(options.listedButMissing ?? [])];
    writeFileSync(join(world, "stack-ls.json"), goJson(stackList(stacks, names, options.backend ?? "diy")));
    if (options.failStackList) writeFailure(world, "stack-ls", options.failStackList);
    for (const stack of stacks) {
        const dir = join(world, "stacks", stack.name);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, "output.json"), goJson(stackOutputs(stack)));
        const history = (stack.history ?? []).map(updateInfo);
        // stack history pages newest first: page 1 of size n is the n newest (backend.GetHistory(pageSize, page)).
        for (const size of [1, 10]) {
            writeFileSync(join(dir, `history-page-size-${size}.json`), goJson(history.slice(0, size)));
        }
        if (stack.passphrase) writeFileSync(join(dir, "passphrase"), "");
        if (stack.failOutput) writeFailure(dir, "output", stack.failOutput);
        if (stack.failHistory) writeFailure(dir, "history", stack.failHistory);
    }
    const logLines = (): string[][] =>
        readFileSync(join(world, "calls.log"), "utf8")
            .split("\n")
            .filter((line) => line !== "")
            .map((line) => line.split(" "));
    return {
        env: {
            ...process.env,
            ...extraEnv,
            PATH: `${FAKE_PULUMI_DIR}${delimiter}${process.env.PATH ?? ""}`,
            UCX_FAKE_PULUMI_WORLD: world,
        },
        calls: () => logLines().map((fields) => fields.slice(2).join(" ")),
        maxParallelCalls: () => {
            const edges = logLines().flatMap(([start, end]) => [
                { at: BigInt(start), delta: 1 },
                { at: BigInt(end), delta: -1 },
            ]);
            // Ends sort before starts at the same instant: touching calls did not overlap.
            edges.sort((a, b) => (a.at === b.at ? a.delta - b.delta : a.at < b.at ? -1 : 1));
            let running = 0;
            let most = 0;
            for (const edge of edges) most = Math.max(most, (running += edge.delta));
            return most;
        },
        cleanup: () => rmSync(world, { recursive: true, force: true }),
    };
}

/** `pulumi stack ls --json`: []stackSummaryJSON (pkg/cmd/pulumi/stack/stack_list.go), sorted by name. */
function stackList(stacks: readonly FakeStack[], names: readonly string[], backend: "cloud" | "diy"): unknown[] {
    return [...names].sort().map((name) => {
        const stack = stacks.find((candidate) => candidate.name === name);
        const newest = stack?.history?.[0];
        const inProgress = newest?.result === "in-progress";
        // Field order and omitempty as in stackSummaryJSON: name, current, lastUpdate, updateInProgress,
        // resourceCount, url. updateInProgress only where the backend SupportsProgress (the cloud one).
        return {
            name,
            current: false,
            ...(newest && !(inProgress && backend === "cloud")
                ? { lastUpdate: formatTime(newest.endTime ?? newest.startTime) }
                : {}),
            ...(newest && backend === "cloud" ? { updateInProgress: inProgress } : {}),
            ...(stack?.history?.length ? { resourceCount: 14 } : {}),
            ...(backend === "cloud" ? { url: `https://app.pulumi.com/acme/ucx-mail/${name}` } : {}),
        };
    });
}

/**
 * `pulumi stack output --json`: one object of every output (pkg/cmd/pulumi/stack/stack_output.go,
 * jsonStackOutputWriter.WriteMany); without --show-secrets a secret prints as "[secret]"
 * (pkg/backend/display/json.go, massagePropertyValue). Never deployed: {} (outputs == nil becomes an empty map).
 */
function stackOutputs(stack: FakeStack): Record<string, unknown> {
    const printed: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(stack.outputs ?? {})) {
        printed[key] = stack.secretOutputs?.includes(key) ? "[secret]" : value;
    }
    return printed;
}

/**
 * `pulumi stack history --json`: []updateInfoJSON (pkg/cmd/pulumi/stack/stack_history.go, buildUpdatesJSON), fields
 * version, kind, startTime, message, environment, config, result, and endTime plus resourceChanges once finished.
 */
function updateInfo(update: FakeUpdate, index: number, all: readonly FakeUpdate[]): Record<string, unknown> {
    return {
        version: all.length - index,
        kind: update.kind,
        startTime: formatTime(update.startTime),
        message: "weekly rotation run",
        environment: { "exec.kind": "cli", "git.head": "4f1c2a9e0d3b5c7a9e1f2d4b6a8c0e2f4a6b8d0c" },
        config: {
            // A secret config value has no value without --show-secrets (configValueJSON, Value omitted).
            "ucx-mail:exchangeClientSecret": { secret: true },
            "ucx-mail:mailboxes": { value: '["fax@contoso.com"]', objectValue: ["fax@contoso.com"], secret: false },
            "ucx-mail:secretRotationDays": { value: "180", secret: false },
        },
        result: update.result,
        ...(update.result !== "in-progress"
            ? {
                  endTime: formatTime(update.endTime ?? update.startTime),
                  resourceChanges: update.result === "succeeded" ? { same: 14 } : { same: 12, update: 1 },
              }
            : {}),
    };
}

/** cmd.FormatTime (pkg/cmd/pulumi/cmd/time.go): "2006-01-02T15:04:05.000Z07:00" in UTC, from whole seconds. */
function formatTime(time: Date): string {
    return new Date(Math.floor(time.getTime() / 1000) * 1000).toISOString();
}

/**
 * ui.FprintJSON (pkg/cmd/pulumi/ui/json.go): two-space indent, trailing newline, no HTML escaping. Go's encoding/json
 * sorts map keys (outputs, environment, config); structs keep field order, which the builders above follow.
 */
function goJson(value: unknown): string {
    return `${JSON.stringify(value, sortMapKeys, 2)}\n`;
}

/** The replacer: the top level (stack output is a map) and the map-typed fields get sorted keys. */
function sortMapKeys(key: string, value: unknown): unknown {
    const isMap = key === "" || MAP_FIELDS.has(key);
    if (!isMap || typeof value !== "object" || value === null || Array.isArray(value)) return value;
    return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
const MAP_FIELDS = new Set(["environment", "config", "resourceChanges"]);

function writeFailure(dir: string, call: string, failure: FakeFailure): void {
    writeFileSync(join(dir, `${call}.exit-code`), `${failure.exitCode}\n`);
    writeFileSync(join(dir, `${call}.stderr`), failure.stderr.endsWith("\n") ? failure.stderr : `${failure.stderr}\n`);
}
