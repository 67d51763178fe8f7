/**
 * Benchmark for the fleet report (npm run bench:fleet). Simulates 200 tenant stacks behind the Pulumi CLI test
 * double, each CLI call made to take 150 ms, runs the fleet as a child process the way `npm run fleet` does, and
 * prints its wall time next to the time the same calls take one after another.
 * Target: at most a quarter of one call after another, with the default concurrency.
 */
import { DEFAULT_CONCURRENCY } from "../tools/fleet/cliArgs";
import { createFakePulumiWorld, FakeStack } from "../test/fleet/support/fakePulumiWorld";
import { runFleetProcess } from "../test/fleet/support/runFleet";
import { HEALTHY, succeededUpdate, ucxMailStack } from "../test/fleet/support/tenants";

const STACKS = 200;
const CALL_DELAY_MS = 150;
const TARGET_RATIO = 0.25;

/** A fleet with every situation in it: mostly healthy, some expired, overdue, failed, never deployed. */
function simulatedFleet(now: Date): FakeStack[] {
    return Array.from({ length: STACKS }, (_, index) => {
        const name = `tenant-${String(index).padStart(3, "0")}`;
        if (index % 50 === 0) return { name };
        if (index % 40 === 0) return ucxMailStack(name, now, { secretEndsInDays: -2, nextRotationInDays: -182 });
        if (index % 30 === 0) return ucxMailStack(name, now, HEALTHY, [succeededUpdate(now, 0, "failed")]);
        if (index % 20 === 0)
            return ucxMailStack(name, now, { secretEndsInDays: 190, previousEndsInDays: 10, nextRotationInDays: 10 });
        return ucxMailStack(name, now, HEALTHY);
    });
}

async function main(): Promise<void> {
    const now = new Date();
    const world = createFakePulumiWorld(
        simulatedFleet(now),
        { backend: "cloud" },
        { UCX_FAKE_PULUMI_DELAY_MS: String(CALL_DELAY_MS) },
    );
    try {
        // One unmeasured run warms the tsx transform cache, as a second `npm run fleet` would find it.
        await runFleetProcess(["--json", "--stack-filter", "tenant-001"], world.env);
        const before = world.calls().length;
        const started = process.hrtime.bigint();
        const run = await runFleetProcess(["--json"], world.env);
        const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
        const calls = world.calls().length - before;
        // The nominal delay, not measured call times: those swell under parallel load and would flatter the ratio.
        const sequentialMs = calls * CALL_DELAY_MS;
        const report = JSON.parse(run.stdout) as { stacks: { status: string }[] };
        const count = (status: string) => report.stacks.filter((row) => row.status === status).length;
        const ratio = wallMs / sequentialMs;
        console.log(
            `fleet benchmark: ${report.stacks.length} stacks, ${calls} Pulumi CLI calls of ${CALL_DELAY_MS} ms each, concurrency ${DEFAULT_CONCURRENCY}`,
        );
        console.log(`one call after another: ${sequentialMs.toFixed(0)} ms (${calls} x ${CALL_DELAY_MS} ms)`);
        console.log(`wall time:              ${wallMs.toFixed(0)} ms (node and tsx start-up included)`);
        console.log(
            `ratio:                  ${ratio.toFixed(3)} (target <= ${TARGET_RATIO}: ${ratio <= TARGET_RATIO ? "met" : "MISSED"})`,
        );
        console.log(`statuses: ${count("fail")} fail, ${count("warn")} warn, ${count("ok")} ok (exit ${run.code})`);
        if (ratio > TARGET_RATIO) process.exitCode = 1;
    } finally {
        world.cleanup();
    }
}

main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
});
