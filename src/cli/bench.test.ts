// `npm run bench` as a user runs it: `--quick --json` on the tiny model prints one JSON object of
// the documented shape with positive, finite timings and a tensor count that does not grow; bad
// flags fail with a message and a non-zero exit.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FULL_PLAN, QUICK_PLAN, parseBenchArgs } from './bench';

const ROOT = join(__dirname, '..', '..');
const TINY = 'src/engine/fixtures/tiny-bert';
const cli = (...args: string[]) => spawnSync('npx', ['tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, encoding: 'utf8' });
/** SwiftShader's Vulkan driver (Debian's Chromium) and libvulkan1 give Dawn a WebGPU adapter in Node. */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const hasVulkan = existsSync(SWIFTSHADER_ICD) && ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1'].some(existsSync);

interface ConfigOut { dim: number; sparsity: number; stepsPerSec: number; tokensPerSec: number; stepMs: number; maskedOverDense?: number; snipBatchMs?: number }
type BackendOut = Record<string, unknown> & { device: string; configs: ConfigOut[]; memory: { atSteps: number[]; tensors: number[]; bytes: number[] }; targets: Record<string, { met: boolean }> };

const positive = (x: unknown) => {
  expect(typeof x).toBe('number');
  expect(Number.isFinite(x)).toBe(true);
  expect(x as number).toBeGreaterThan(0);
};

describe('npm run bench', () => {
  it('--quick --json prints one JSON object with every measurement for the cpu backend', () => {
    const run = cli('bench', '--quick', '--json', '--model', TINY, '--backends', 'cpu');
    expect(run.stderr).not.toMatch(/error:/);
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout) as { quick: boolean; bench: string; settings: Record<string, unknown>; fastestBackend: string; backends: Record<string, BackendOut> };
    expect(out.quick).toBe(true);
    expect(out.bench).toMatch(/^quick/);
    expect(Object.keys(out.backends)).toEqual(['cpu']);
    expect(out.fastestBackend).toBe('cpu');
    const cpu = out.backends.cpu!;
    expect(cpu.device).toMatch(/cpu/);
    for (const key of ['timeToFirstLossMs', 'maskedOverDenseStepTime', 'snipBatchMs', 'snipBatchOverTrainStep', 'tensorsAtStep10', 'tensorsAtStep30', 'bytesAtStep10', 'bytesAtStep30']) positive(cpu[key]);
    // No tensor or byte is left behind from one step to the next.
    expect(cpu.tensorsAtStep30).toBe(cpu.tensorsAtStep10);
    expect(cpu.bytesAtStep30).toBe(cpu.bytesAtStep10);
    expect(cpu.memory).toMatchObject({ atSteps: [10, 30], tensors: [cpu.tensorsAtStep10, cpu.tensorsAtStep30] });
    expect(cpu.targets.memory!.met).toBe(true);
    expect(cpu.configs.map((c) => [c.dim, c.sparsity])).toEqual([[64, 0], [64, 0.5]]);
    for (const c of cpu.configs) {
      positive(c.stepsPerSec);
      positive(c.tokensPerSec);
      expect(c.tokensPerSec).toBeCloseTo(c.stepsPerSec * QUICK_PLAN.batchSize * QUICK_PLAN.seqLen, -1);
    }
    const masked = cpu.configs[1]!;
    positive(masked.maskedOverDense);
    positive(masked.snipBatchMs);
  }, 180_000);

  it('rejects bad flags with a message and a non-zero exit', () => {
    const unknown = cli('bench', '--model', TINY, '--frobnicate');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain("error: Unknown option '--frobnicate'");
    const backend = cli('bench', '--model', TINY, '--backends', 'cpu,tpu');
    expect(backend.status).toBe(1);
    expect(backend.stderr).toContain('error: --backends must be from cpu, wasm, webgpu; got "tpu"');
    const missing = cli('bench', '--model', '/no/such/model', '--quick');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('error: model folder /no/such/model does not exist');
  });

  it('reads the plan from the flags, and checks it', () => {
    expect(parseBenchArgs([]).plan).toEqual(FULL_PLAN);
    expect(parseBenchArgs([]).backends).toEqual(['cpu', 'wasm']);
    const custom = parseBenchArgs(['--quick', '--backend', 'webgpu', '--dims', '8,16', '--sparsities', '0,0.9', '--steps', '6', '--memory-at', '5,15']);
    expect(custom.backends).toEqual(['webgpu']);
    expect(custom.plan).toMatchObject({ quick: true, dims: [8, 16], sparsities: [0, 0.9], steps: 6, memoryAt: [5, 15], batchSize: QUICK_PLAN.batchSize });
    expect(() => parseBenchArgs(['--sparsities', '0.5'])).toThrow('--sparsities must include 0 (the dense reference) and at least one sparsity above 0');
    expect(() => parseBenchArgs(['--sparsities', '0,1'])).toThrow('--sparsities must be a comma-separated list of numbers from 0 to 0.99; got "0,1"');
    expect(() => parseBenchArgs(['--dims', '64,x'])).toThrow('--dims must be a comma-separated list of whole numbers from 1 to 1024; got "64,x"');
    expect(() => parseBenchArgs(['--steps', '3'])).toThrow(/--steps must be at least 5/);
    expect(() => parseBenchArgs(['--memory-at', '30,10'])).toThrow('--memory-at must be two increasing step numbers; got "30,10"');
    expect(() => parseBenchArgs(['--backend', 'cpu', '--backends', 'wasm'])).toThrow('give --backend or --backends, not both');
    expect(parseBenchArgs([]).fused).toBe(true);
    expect(parseBenchArgs(['--unfused']).fused).toBe(false);
  });

  // Counts, not times: on SwiftShader the counts are those of any GPU.
  it.skipIf(!hasVulkan)('on webgpu also reports the work per step and per SNIP batch counted at the WebGPU API, and its targets', () => {
    const run = spawnSync('npx', ['tsx', 'src/cli/main.ts', 'bench', '--quick', '--json', '--model', TINY, '--backend', 'webgpu', '--reps', '1', '--memory-at', '5,10'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, VK_ICD_FILENAMES: SWIFTSHADER_ICD, XDG_RUNTIME_DIR: tmpdir() } });
    expect(run.stderr).not.toMatch(/error:/);
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout) as { settings: { fusedKernels: string }; backends: { webgpu: BackendOut & { gpu: { perStep: Record<string, number | boolean>; perSnipBatch: Record<string, number>; shaderWarmup: Record<string, number>; pipelinesAfterWarmup: number } } } };
    expect(out.settings.fusedKernels).toMatch(/^on/);
    const { gpu, targets } = out.backends.webgpu;
    for (const key of ['dispatches', 'submits', 'writes', 'bytesWritten', 'readbackCopies', 'bytesRead']) positive(gpu.perStep[key]);
    expect(gpu.perStep.variesFromStepToStep).toBe(false);
    expect(gpu.perStep.buffersCreated).toBe(0); // uploads through the ring, updated parameters in pooled buffers
    expect(gpu.pipelinesAfterWarmup).toBe(0);
    positive(gpu.perSnipBatch.dispatches);
    positive(gpu.shaderWarmup.pipelines);
    positive(gpu.shaderWarmup.compileMs);
    expect(targets.dispatchesPerStep).toMatchObject({ value: gpu.perStep.dispatches });
    expect(targets.buffersCreatedPerStep).toMatchObject({ value: 0, met: true });
  }, 600_000);

  it('is listed in the help', () => {
    const help = cli('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/\n {2}bench {4}Time training on each backend/);
  });
});
