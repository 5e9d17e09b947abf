/**
 * A PyTorch nn.Module living in the bridge's Python process, trained from TypeScript: forward returns its outputs as
 * HostTensors and keeps the autograd graph in Python; backward sends the loss gradient with respect to those outputs
 * (computed by tfjs) and steps the PyTorch optimizer. See src/bridge/python/reclab_bridge/trainable.py.
 */
import type { PythonSession } from './session.ts';
import type { HostTensor } from './tensors.ts';

const M = 'reclab_bridge.trainable';

/** How to build the module. */
export interface TrainableOptions {
  /** `package.module:Class` of a repo module under src/bridge/python; constructed as `Class(**config)`. */
  factory: string;
  /** JSON keyword arguments of the constructor. */
  config?: Record<string, unknown>;
  /** Seed of torch/numpy/random before construction. */
  seed?: number;
  /** PyTorch optimizer: name adam | adamw | sgd, lr, weight_decay, momentum. */
  optimizer?: { name?: 'adam' | 'adamw' | 'sgd'; lr?: number; weight_decay?: number; momentum?: number };
  /** Local state dict file (torch.save) to load after construction. */
  weights?: string;
  /** torch.set_num_threads in the Python process. */
  threads?: number;
}

/**
 * Handle to a trainable PyTorch module. It lives in the Python process that created it: after that process is gone
 * (crash, timeout, close, restart) every method except `dispose` fails with a `BridgeHandleLostError` naming the
 * handle (checked in TypeScript, before Python is called); `dispose` is then a no-op.
 * @example
 * const enc = await TorchTrainable.create(pythonSession(), { factory: 'reclab_bridge.testing_models:Tower', config: { inDim: 4, outDim: 3 } });
 * const out = await enc.forward({ x });              // { out: HostTensor }
 * await enc.backward({ out: gradFromTfjs });         // PyTorch backward + optimizer step
 */
export class TorchTrainable {
  /**
   * @param py the session; @param handle the Python store's handle; @param parameterCount trainable parameters;
   * @param process the session's number of the Python process holding the module.
   */
  private constructor(readonly py: PythonSession, readonly handle: string, readonly parameterCount: number, readonly process: number) {}

  /** Whether the Python process holding the module still runs (false after a crash, timeout, close or restart). */
  get alive(): boolean {
    return this.py.processId === this.process;
  }

  private get owner(): { process: number; handle: string } {
    return { process: this.process, handle: this.handle };
  }

  /** Builds the module in Python (seeded, optional local weights) and its optimizer. */
  static async create(py: PythonSession, options: TrainableOptions): Promise<TorchTrainable> {
    const r = await py.call(M, 'create', { args: { ...options, config: options.config ?? {}, optimizer: options.optimizer ?? {} } });
    return new TorchTrainable(py, String(r.value.handle), Number(r.value.parameters), r.process);
  }

  /** Runs `module.<method>(**inputs)`; `train` keeps the graph for `backward` (default true). */
  async forward(inputs: Record<string, HostTensor>, options: { method?: string; train?: boolean; timeoutMs?: number } = {}): Promise<Record<string, HostTensor>> {
    const r = await this.py.call(M, 'forward', { args: { handle: this.handle, method: options.method ?? 'forward', train: options.train ?? true }, tensors: inputs, timeoutMs: options.timeoutMs, owner: this.owner });
    return r.tensors;
  }

  /** Backpropagates d loss / d outputs through the last training forward; steps the optimizer unless `step: false`. */
  async backward(grads: Record<string, HostTensor>, options: { step?: boolean; clipNorm?: number } = {}): Promise<{ gradNorm: number }> {
    const r = await this.py.call(M, 'backward', { args: { handle: this.handle, step: options.step ?? true, clip_norm: options.clipNorm ?? 0 }, tensors: grads, owner: this.owner });
    return { gradNorm: Number(r.value.grad_norm) };
  }

  /** Accumulated parameter gradients by parameter name (after `backward({ step: false })`). */
  async gradients(): Promise<Record<string, HostTensor>> {
    return (await this.py.call(M, 'gradients', { args: { handle: this.handle }, owner: this.owner })).tensors;
  }

  /** The module's state dict as HostTensors. */
  async parameters(): Promise<Record<string, HostTensor>> {
    return (await this.py.call(M, 'parameters', { args: { handle: this.handle }, owner: this.owner })).tensors;
  }

  /** Saves the state dict to a local file. */
  async saveWeights(path: string): Promise<void> {
    await this.py.call(M, 'save_weights', { args: { handle: this.handle, path }, owner: this.owner });
  }

  /** Loads a local state dict (errors name missing / unexpected keys). */
  async loadWeights(path: string): Promise<void> {
    await this.py.call(M, 'load_weights', { args: { handle: this.handle, path }, owner: this.owner });
  }

  /** Frees the module in Python (nothing to do when its process is gone). */
  async dispose(): Promise<void> {
    if (this.alive) await this.py.call(M, 'dispose', { args: { handle: this.handle }, owner: this.owner });
  }
}
