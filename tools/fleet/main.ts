import { escapeUntrustedText } from "../untrustedText";
import { mapWithConcurrency } from "./boundedConcurrency";
import { FleetUsageError, parseFleetArgs, USAGE } from "./cliArgs";
import { mentionsPassphrase, readCliVersion } from "./cliVersion";
import { createProgressLine } from "./progressLine";
import { PulumiCallError, PulumiCliMissingError } from "./pulumiCli";
import { renderFleetJson, renderFleetTable } from "./reportRendering";
import { stackNameMatcher } from "./stackGlob";
import { listStackNames, readStack } from "./stackReading";
import { judgeStack, sortRows } from "./stackStatus";

/** Exit codes of the fleet report (a contract). */
export const EXIT_NO_FAILURE = 0;
export const EXIT_STACK_FAILED = 1;
export const EXIT_USAGE_ERROR = 2;

/** One Pulumi CLI call may take this long (a slow backend, a large state) before the stack counts as unreadable. */
const CALL_TIMEOUT_MS = 120_000;

/** Where the fleet reads and writes; main passes the process's own. */
export interface FleetIo {
    readonly stdout: (text: string) => void;
    readonly stderr: (text: string) => void;
    /** Colour the table (stdout is a TTY and NO_COLOR is unset). */
    readonly colour: boolean;
    /** Show the progress line (stderr is a TTY). */
    readonly progress: boolean;
    /** Environment for the Pulumi CLI. */
    readonly env: NodeJS.ProcessEnv;
    /** The project directory. */
    readonly cwd: string;
    /** The clock every status is judged against. */
    readonly now: () => Date;
}

/** The whole command: parse, list, read every stack (bounded), judge, print. Returns the exit code. */
export async function runFleet(argv: readonly string[], io: FleetIo): Promise<number> {
    try {
        const options = parseFleetArgs(argv);
        if (options.help) {
            io.stdout(`${USAGE}\n`);
            return EXIT_NO_FAILURE;
        }
        const cli = { env: io.env, cwd: io.cwd, timeoutMs: CALL_TIMEOUT_MS };
        const matches = options.stackFilter === undefined ? () => true : stackNameMatcher(options.stackFilter);
        const stacks = (await listStackNames(cli)).filter(matches);
        const progress = createProgressLine(stacks.length, io.progress, io.stderr);
        const snapshots = await mapWithConcurrency(
            stacks,
            options.concurrency,
            (stack) => readStack(stack, cli),
            progress.update,
        );
        progress.clear();
        // Only a refused read needs the CLI's version, to tell an older CLI's need for the passphrase from the rest.
        const cliVersion = snapshots.some((snapshot) => snapshot.readErrors.some(mentionsPassphrase))
            ? await readCliVersion(cli)
            : undefined;
        const now = io.now();
        const rows = sortRows(snapshots.map((snapshot) => judgeStack(snapshot, now, options.warnDays, cliVersion)));
        io.stdout(options.json ? renderFleetJson(rows, now) : renderFleetTable(rows, { colour: io.colour }));
        if (stacks.length === 0 && !options.json) {
            io.stderr(
                options.stackFilter === undefined
                    ? "fleet: the project has no stacks in this backend; check pulumi whoami and PULUMI_BACKEND_URL.\n"
                    : `fleet: no stack matches --stack-filter "${options.stackFilter}"; pulumi stack ls shows the names.\n`,
            );
        }
        return rows.some((row) => row.status === "fail") ? EXIT_STACK_FAILED : EXIT_NO_FAILURE;
    } catch (error) {
        if (error instanceof FleetUsageError) {
            io.stderr(`fleet: ${error.message} (npm run fleet -- --help shows the usage)\n`);
            return EXIT_USAGE_ERROR;
        }
        if (error instanceof PulumiCliMissingError) {
            io.stderr(`fleet: ${error.message}\n`);
            return EXIT_USAGE_ERROR;
        }
        if (error instanceof PulumiCallError) {
            // Without the list of stacks there is no report: most often not the project directory, or not logged in.
            io.stderr(
                `fleet: ${escapeUntrustedText(error.message)}; run the fleet from the ucx-mail project directory, logged in to the stacks' backend.\n`,
            );
            return EXIT_USAGE_ERROR;
        }
        throw error;
    }
}

if (require.main === module) {
    runFleet(process.argv.slice(2), {
        stdout: (text) => process.stdout.write(text),
        stderr: (text) => process.stderr.write(text),
        colour: Boolean(process.stdout.isTTY) && process.env.NO_COLOR === undefined,
        progress: Boolean(process.stderr.isTTY),
        env: process.env,
        cwd: process.cwd(),
        now: () => new Date(),
    }).then(
        (code) => process.stdout.write("", () => process.exit(code)),
        (error: unknown) =>
            process.stderr.write(`fleet: unexpected error: ${String(error)}\n`, () => process.exit(EXIT_STACK_FAILED)),
    );
}
