import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ROOT } from './assembly.js';

export type HostRequest =
  | { type: 'start' }
  | {
      type: 'stack';
      port: number;
      host: string;
      dynamodbEndpoint?: string;
      jwtSecret: string;
      logLevel: string;
      /** Overrides of template variables (startLocalStack's `environment`). */
      environment?: Record<string, string>;
      /** Port and path secret of the loopback AWS services server (startLocalStack's `services`). */
      services?: { port?: number; secret?: string };
    }
  | { type: 'cpu' }
  | { type: 'stop' };

export type HostReply =
  | { type: 'dynamodb'; endpoint: string }
  | { type: 'ready'; port: number; startMs: number; environment: Record<string, string>; dynamoDb: string }
  | { type: 'cpu'; userMs: number; systemMs: number; lines: string[] }
  | { type: 'stopped' }
  | { type: 'error'; message: string };

/** The local stack in a child process (bench/lib/stack-host.ts), with its own dynalite. */
export class LocalStackProcess {
  private readonly child: ChildProcess;
  private output = '';
  private exited?: string;

  private constructor() {
    this.child = fork(fileURLToPath(new URL('./stack-host.ts', import.meta.url)), [], {
      cwd: ROOT,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.child.once('exit', (code, signal) => (this.exited = `exited (${code ?? signal})`));
  }

  /** Starts the child and its dynalite; the stack itself starts with `startStack`. */
  static async launch(): Promise<{ host: LocalStackProcess; dynamodbEndpoint: string }> {
    const host = new LocalStackProcess();
    const reply = await host.request({ type: 'start' }, 'dynamodb', 60_000);
    return { host, dynamodbEndpoint: reply.endpoint };
  }

  startStack(options: Omit<Extract<HostRequest, { type: 'stack' }>, 'type'>) {
    return this.request({ type: 'stack', ...options }, 'ready', 180_000);
  }

  cpu() {
    return this.request({ type: 'cpu' }, 'cpu', 10_000);
  }

  /** What the child printed (function logs at the chosen level, errors). */
  get printed(): string {
    return this.output;
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    try {
      await this.request({ type: 'stop' }, 'stopped', 30_000);
    } catch {
      this.child.kill('SIGKILL');
    }
  }

  private request<T extends HostReply['type']>(
    message: HostRequest,
    expect: T,
    timeoutMs: number,
  ): Promise<Extract<HostReply, { type: T }>> {
    return new Promise((resolve, reject) => {
      if (this.exited) return reject(new Error(`local stack process ${this.exited}: ${this.output.slice(-2000)}`));
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(`local stack process: no '${expect}' within ${timeoutMs} ms. Output:\n${this.output.slice(-2000)}`),
        );
      }, timeoutMs);
      const onMessage = (reply: HostReply) => {
        if (reply.type === 'error') {
          cleanup();
          reject(new Error(`local stack process: ${reply.message}`));
        } else if (reply.type === expect) {
          cleanup();
          resolve(reply as Extract<HostReply, { type: T }>);
        }
      };
      const onExit = () => {
        cleanup();
        reject(new Error(`local stack process ${this.exited ?? 'exited'}: ${this.output.slice(-2000)}`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
      };
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
      this.child.send(message);
    });
  }
}
