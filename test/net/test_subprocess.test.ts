// Ports of CPython 3.13 Lib/test/test_asyncio/test_subprocess.py
// (SubprocessMixin). The child programs are Node itself (`node -e`) and
// /bin/sh, /bin/cat, as asyncio's use sys.executable.
import test from "ava";
import { CancelledError, createTask, sleep, waitFor } from "../../src/index.js";
import {
  BrokenPipeError,
  ConnectionResetError,
  DEVNULL,
  FileNotFoundError,
  PIPE,
  ProcessLookupError,
  STDOUT,
  createSubprocessExec,
  createSubprocessShell,
} from "../../adapters/net/index.js";
import { runIO } from "./helpers.js";

const NODE = process.execPath;
const PROGRAM_CAT = ["/bin/cat", []] as const;
const PROGRAM_BLOCKED = [NODE, ["-e", "setTimeout(() => {}, 60000)"]] as const;

test("test_stdin_stdout", async (t) => {
  const { result } = await runIO(async () => {
    const proc = await createSubprocessExec(PROGRAM_CAT[0], [...PROGRAM_CAT[1]], { stdin: PIPE, stdout: PIPE });
    proc.stdin!.write("some data");
    await proc.stdin!.drain();
    proc.stdin!.close();
    const data = await proc.stdout!.read();
    const exitcode = await proc.wait();
    return [exitcode, data.toString()];
  });
  t.deepEqual(result, [0, "some data"]);
});

test("test_communicate", async (t) => {
  const { result } = await runIO(async () => {
    const proc = await createSubprocessExec(PROGRAM_CAT[0], [], { stdin: PIPE, stdout: PIPE });
    const [stdout, stderr] = await proc.communicate("some data");
    t.is(stderr, null);
    return [proc.returncode, stdout!.toString()];
  });
  t.deepEqual(result, [0, "some data"]);
});

test("test_communicate_none_input", async (t) => {
  const { result } = await runIO(async () => {
    const proc = await createSubprocessExec(PROGRAM_CAT[0], [], { stdin: PIPE, stdout: PIPE });
    const [stdout] = await proc.communicate();
    return [proc.returncode, stdout!.toString()];
  });
  t.deepEqual(result, [0, ""]);
});

test("test_shell", async (t) => {
  await runIO(async () => {
    const proc = await createSubprocessShell("exit 7");
    t.is(await proc.wait(), 7);
  });
});

test("test_start_new_session", async (t) => {
  await runIO(async () => {
    const proc = await createSubprocessShell("exit 8", { startNewSession: true });
    t.is(await proc.wait(), 8);
  });
});

test("test_kill", async (t) => {
  await runIO(async () => {
    const proc = await createSubprocessExec(PROGRAM_BLOCKED[0], [...PROGRAM_BLOCKED[1]]);
    proc.kill();
    t.is(await proc.wait(), -9);
  });
});

test("test_terminate", async (t) => {
  await runIO(async () => {
    const proc = await createSubprocessExec(PROGRAM_BLOCKED[0], [...PROGRAM_BLOCKED[1]]);
    proc.terminate();
    t.is(await proc.wait(), -15);
  });
});

test("test_send_signal", async (t) => {
  await runIO(async () => {
    // The child says it is ready, then exits 0 on SIGHUP.
    const code = "process.on('SIGHUP', () => process.exit(0)); console.log('ready'); setTimeout(() => {}, 60000)";
    const proc = await createSubprocessExec(NODE, ["-e", code], { stdout: PIPE });
    t.is((await proc.stdout!.readline()).toString(), "ready\n");
    proc.sendSignal("SIGHUP");
    t.is(await proc.wait(), 0);
    t.throws(() => proc.sendSignal("SIGHUP"), { instanceOf: ProcessLookupError });
  });
});

test("test_stdin_broken_pipe", async (t) => {
  await runIO(async () => {
    // The program ends before the stdin can be fed.
    const proc = await createSubprocessExec(NODE, ["-e", ""], { stdin: PIPE });
    await proc.wait();
    const err = await t.throwsAsync(async () => {
      for (let i = 0; i < 100; i++) {
        proc.stdin!.write(Buffer.alloc(1 << 20, "x"));
        await proc.stdin!.drain();
      }
    });
    t.true(err instanceof BrokenPipeError || err instanceof ConnectionResetError, String(err));
  });
});

test("test_communicate_ignore_broken_pipe", async (t) => {
  await runIO(async () => {
    const proc = await createSubprocessExec(NODE, ["-e", ""], { stdin: PIPE });
    await proc.communicate(Buffer.alloc(4 << 20, "x"));
    t.is(await proc.wait(), 0);
  });
});

test("test_pause_reading", async (t) => {
  await runIO(async () => {
    const limit = 10;
    const size = limit * 2 + 1;
    const proc = await createSubprocessExec(NODE, ["-e", `process.stdout.write("x".repeat(${size}))`], {
      stdout: PIPE,
      limit,
    });
    const [out] = await proc.communicate();
    t.is(out!.length, size);
    t.is(proc.returncode, 0);
  });
});

test("test_empty_input", async (t) => {
  await runIO(async () => {
    const proc = await createSubprocessExec(PROGRAM_CAT[0], [], { stdin: PIPE, stdout: PIPE });
    const [out] = await proc.communicate("");
    t.is(out!.length, 0);
    t.is(proc.returncode, 0);
  });
});

test("test_devnull_input", async (t) => {
  await runIO(async () => {
    const proc = await createSubprocessExec(PROGRAM_CAT[0], [], { stdin: DEVNULL, stdout: PIPE });
    t.is(proc.stdin, null);
    const [out] = await proc.communicate();
    t.is(out!.length, 0);
    t.is(proc.returncode, 0);
  });
});

test("test_devnull_output", async (t) => {
  await runIO(async () => {
    const proc = await createSubprocessExec(PROGRAM_CAT[0], [], { stdin: PIPE, stdout: DEVNULL });
    const [out] = await proc.communicate("x");
    t.is(out, null);
    t.is(proc.returncode, 0);
  });
});

test("test_devnull_error", async (t) => {
  await runIO(async () => {
    const proc = await createSubprocessShell("echo oops >&2", { stderr: DEVNULL });
    const [, err] = await proc.communicate();
    t.is(err, null);
    t.is(proc.returncode, 0);
  });
});

test("stderr=STDOUT merges standard error into the stdout pipe, in order", async (t) => {
  await runIO(async () => {
    const code =
      "process.stdout.write('out1\\n'); require('fs').writeSync(2, 'err\\n'); process.stdout.write('out2\\n')";
    const proc = await createSubprocessExec(NODE, ["-e", code], { stdout: PIPE, stderr: STDOUT });
    t.is(proc.stderr, null);
    const [out, err] = await proc.communicate();
    t.is(out!.toString(), "out1\nerr\nout2\n");
    t.is(err, null);
    const sh = await createSubprocessShell("echo a; echo b >&2", { stdout: PIPE, stderr: STDOUT });
    t.is((await sh.communicate())[0]!.toString(), "a\nb\n");
  });
});

test("test_cancel_process_wait", async (t) => {
  await runIO(async (loop) => {
    const proc = await createSubprocessExec(PROGRAM_BLOCKED[0], [...PROGRAM_BLOCKED[1]]);
    const task = createTask(() => proc.wait());
    loop.callSoon(() => task.cancel());
    await t.throwsAsync(task, { instanceOf: CancelledError });
    t.is(proc.returncode, null); // still running
    proc.kill();
    t.is(await proc.wait(), -9);
  });
});

test("cancelling communicate() leaves the process running and its streams usable", async (t) => {
  await runIO(async () => {
    // Echoes what it reads and stays alive after stdin's EOF.
    const code = "process.stdin.on('data', (d) => process.stdout.write(d)); setTimeout(() => {}, 60000)";
    const proc = await createSubprocessExec(NODE, ["-e", code], { stdin: PIPE, stdout: PIPE });
    proc.stdin!.write("before\n");
    await proc.stdin!.drain();
    const comm = createTask(() => proc.communicate());
    // Bounded: wait until communicate()'s read(-1) has taken the echoed line.
    for (let i = 0; i < 2000 && proc.stdout!._buffered === 0 && !proc.stdout!._waiter; i++) await sleep(0.001);
    await sleep(0.05);
    comm.cancel();
    await t.throwsAsync(comm, { instanceOf: CancelledError });
    t.is(proc.returncode, null);
    // The bytes read before the cancellation are still there.
    t.is((await proc.stdout!.readline()).toString(), "before\n");
    proc.kill();
    await proc.wait();
  });
});

test("test_popen_error", async (t) => {
  await runIO(async () => {
    await t.throwsAsync(createSubprocessExec("/no/such/program-asyncio-ts", []), { instanceOf: FileNotFoundError });
  });
});

test("test_read_stdout_after_process_exit", async (t) => {
  await runIO(async () => {
    const code = "process.stdout.write('x'.repeat(64 * 4096), () => process.exit(1))";
    const proc = await createSubprocessExec(NODE, ["-e", code], { stdout: PIPE });
    let total = 0;
    for (let i = 0; i < 1000; i++) {
      const data = await proc.stdout!.read(65536);
      if (data.length === 0) break;
      total += data.length;
      await sleep(0.01);
    }
    t.is(total, 64 * 4096);
    t.is(await proc.wait(), 1);
  });
});

test("test_create_subprocess_env_shell", async (t) => {
  await runIO(async () => {
    const proc = await createSubprocessShell('printf %s "$FOO"', { env: { FOO: "bar" }, stdout: PIPE });
    t.is((await proc.communicate())[0]!.toString(), "bar");
  });
});

test("test_create_subprocess_env_exec", async (t) => {
  await runIO(async () => {
    const proc = await createSubprocessExec(NODE, ["-e", "process.stdout.write(process.env.FOO)"], {
      env: { FOO: "baz" },
      stdout: PIPE,
    });
    t.is((await proc.communicate())[0]!.toString(), "baz");
  });
});

test("test_subprocess_concurrent_wait", async (t) => {
  await runIO(async () => {
    const proc = await createSubprocessShell("exit 3");
    const [a, b] = await Promise.all([proc.wait(), proc.wait()]);
    t.deepEqual([a, b], [3, 3]);
  });
});

test("test_subprocess_communicate_stdout", async (t) => {
  await runIO(async () => {
    const proc = await createSubprocessShell("echo hello", { stdout: PIPE });
    const [out, err] = await waitFor(proc.communicate(), 5);
    t.is(out!.toString(), "hello\n");
    t.is(err, null);
    t.is(proc.returncode, 0);
  });
});

// Regression: Node drops the output of a child that exits before anyone
// listens to its pipes; the readers are attached at spawn time.
test("the output of a child that exits at once is never lost", async (t) => {
  await runIO(async () => {
    for (let i = 0; i < 20; i++) {
      const proc =
        i % 2 === 0
          ? await createSubprocessExec("/bin/echo", ["a"], { stdout: PIPE })
          : await createSubprocessShell("echo a", { stdout: PIPE });
      t.is((await proc.communicate())[0]!.toString(), "a\n");
    }
  }, 20);
});
