import { AddressInfo, createServer, Socket } from "node:net";

/** A TCP port that accepts connections and never says a word: the doctor's timeouts must cope with it. */
export interface SilentServer {
    readonly port: number;
    /** How many connections it accepted. */
    accepted(): number;
    close(): Promise<void>;
}

export async function startSilentServer(): Promise<SilentServer> {
    const sockets = new Set<Socket>();
    let accepted = 0;
    const server = createServer((socket) => {
        accepted++;
        sockets.add(socket);
        socket.on("error", () => undefined);
        socket.on("close", () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        port: (server.address() as AddressInfo).port,
        accepted: () => accepted,
        close: () =>
            new Promise<void>((resolve) => {
                for (const socket of sockets) socket.destroy();
                server.close(() => resolve());
            }),
    };
}
