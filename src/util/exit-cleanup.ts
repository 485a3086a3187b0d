/**
 * Synchronous clean-up actions that must run however the process ends: normal exit, an uncaught
 * exception, or SIGINT/SIGTERM. Ephemeral databases register their removal here.
 *
 * Why synchronous: the `exit` event does not wait for promises. Why the signal handlers re-raise:
 * adding a SIGINT listener cancels Node's default "exit on Ctrl-C", so when ours is the only
 * listener we clean up, remove ourselves and send the signal again so the process still dies of it
 * (exit status 130/143 as the shell expects). When the application has its own listener (the `mp`
 * CLI does), it decides when to exit and our `exit` hook runs then.
 */

type Action = () => void;

const actions = new Map<number, Action>();
let nextId = 1;
let installed = false;

function runAll(): void {
  for (const [id, action] of [...actions]) {
    actions.delete(id);
    try {
      action();
    } catch {
      // Best effort: one failing clean-up must not stop the others during shutdown.
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  runAll();
  const others = process.listenerCount(signal) - 1;
  if (others === 0) {
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runAll);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
}

/**
 * Registers `action` to run at process exit (or on a terminating signal). Returns a function that
 * unregisters it; call that after cleaning up normally.
 */
export function onProcessExit(action: Action): () => void {
  install();
  const id = nextId++;
  actions.set(id, action);
  return () => {
    actions.delete(id);
  };
}
