/**
 * The Python bridge: a managed PyTorch process (session.ts), binary tensors through shared memory (tensors.ts),
 * trainable PyTorch modules (trainable.ts) and the cross-framework gradient step (cross-step.ts).
 */
export { PythonSession, pythonSession, PYTHON_ROOT, REPO_ROOT, type CallOptions, type CallResult, type SessionOptions } from './session.ts';
export { hostTensor, checkTensor, fromTf, toTf, type HostTensor, type TensorSpec, type BridgeDtype } from './tensors.ts';
export { PythonError, BridgeTimeoutError, BridgeCrashError, BridgeHandleLostError, TensorSpecError } from './errors.ts';
export { TorchTrainable, type TrainableOptions } from './trainable.ts';
export { crossStep, lossAndGrads, type CrossStepOptions } from './cross-step.ts';
