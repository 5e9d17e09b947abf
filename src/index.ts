/**
 * reclab's public API: what a notebook or a script imports.
 * @example
 * // from a script in this repo (in a tslab notebook: require('tsx/cjs'); const reclab = require('../src/index.ts');)
 * import { generateCtrWorld, getModelSpec, train, predict, evaluateCtr, Rng } from './src/index.ts';
 * const world = generateCtrWorld({ users: 2000 });
 * const spec = getModelSpec('din');
 * const model = spec.create(new Rng(1), world.train.schema);
 * await train({ model, loss: spec.loss('click'), train: world.train, valid: world.valid });
 * evaluateCtr(world.test, 'click', predict(model, world.test));
 */
export { tf, backendInfo, type BackendInfo } from './tf.ts';
export { Rng } from './random.ts';
export * from './data/index.ts';
export * from './worlds/world.ts';
export * from './worlds/ctr-world.ts';
export * from './layers/module.ts';
export * from './layers/dense.ts';
export * from './layers/embedding.ts';
export * from './layers/norm.ts';
export * from './layers/attention.ts';
export * from './layers/experts.ts';
export * from './layers/ctr-inputs.ts';
export * from './models/model.ts';
export * from './models/registry.ts';
export * from './models/dnn.ts';
export * from './models/wide-deep.ts';
export * from './models/deepfm.ts';
export * from './models/din.ts';
export * from './train/losses.ts';
export * from './train/optimizers.ts';
export * from './train/trainer.ts';
export * from './train/evaluate.ts';
export * from './train/checkpoint.ts';
export * from './train/progress.ts';
export * from './metrics/index.ts';
export * from './plots/index.ts';
export * from './pipelines/pipeline.ts';
export { buildResultTable, tableFromRecords, methodResultsToRecords, tableToMarkdown, tableToCsv, type ResultTable, type MethodResult, type MetricColumn, type ReferenceRow, type Cell as ResultCell } from './pipelines/result-table.ts';
export * from './pipelines/runner.ts';
export { results, recordsToDataFrame, readRunRecords, runTables, tableToLatex, exportRun, latexEscape, type ExportFormat } from './pipelines/export.ts';
export { listRuns, liveness, type RunStatus, type RunListing, type RunLiveness } from './pipelines/run-status.ts';
export { recordsToCsv, parseRecordsCsv, select as selectRecords, RECORD_COLUMNS, type ResultRecord, type RecordFilter } from './evidence/records.ts';
export { judgeClaim, judgeClaims, restateClaims, verdictsToMarkdown, type Claim, type Verdict, type VerdictKind } from './evidence/claims.ts';
export { checkSeeds, reliableTasks, stillImproving, meanSe, EVIDENCE_DEFAULTS, SMOKE_TEST_LABEL, RUN_MODES, type RunMode, type EvidenceRules, type ReliableTasks } from './evidence/rules.ts';
export { deLongAuc, deLongPaired, pairedBootstrap, combineSeedsAndTest, minimumDetectableEffect, tQuantile, normalCdf, type Estimate, type BootstrapResult, type Comparison } from './evidence/stats.ts';
export { knobLabel, checkMechanismSpec, gainRecords, mechanismClaims, mechanismSummary, mechanismFigure, type MechanismSpec, type MechanismRow } from './evidence/mechanism.ts';
export * from './pipelines/provenance.ts';
export { listPipelines as registeredPipelines } from './pipelines/registry.ts';
export { doctor, type DoctorCheck } from './doctor.ts';
export * from './report/paper-numbers.ts';
export * from './report/compare.ts';
export * from './report/ab-tests.ts';
export * from './report/report.ts';
export { sanitizeSvg, figureFileStem } from './report/render.ts';
export * from './worlds/funnel-world.ts';
export * from './worlds/ab-simulator.ts';
export * from './layers/multitask.ts';
export * from './train/cvr-losses.ts';
export * from './train/evaluate-cvr.ts';
export * from './models/naive-cvr.ts';
export * from './models/shared-bottom.ts';
export * from './models/esmm.ts';
export * from './models/escm2.ts';
export * from './models/dcmt.ts';
export * from './models/chorus-cvr.ts';
// MiNet (cross-domain CTR): news -> ads world, models, Amazon 2014 loader.
export * from './worlds/news-ads-world.ts';
export * from './models/cross-domain-dnn.ts';
export * from './models/conet.ts';
export * from './models/minet.ts';
export * from './data/python-literal.ts';
export * from './data/amazon.ts';
// Live streaming (issue 3, world + Moment&Cross): short-video + live world, Moment&Cross model, its pipelines' helpers.
export * from './worlds/live-world.ts';
export { MomentCross, MultiHeadTargetAttention, momentCrossLoss, momentCrossSpec, rankingScore, MOMENT_CROSS_DEFAULTS, REALTIME_COLUMNS, type MomentCrossConfig } from './models/moment-cross.ts';
export { buildSampleStream, streamLabels, FAST_SECONDS, type SampleStream } from './pipelines/moment-cross/sample-stream.ts';
export { roomTimeline, roomFigure, tableBars, type RoomTimeline } from './pipelines/moment-cross/figures.ts';
// GME (issue 6): cold-start ads world, MovieLens-1M loader, PNN/AutoInt, the ad graph, ID-embedding generators,
// meta-training and the cold-start / warm-up protocol.
export * from './worlds/cold-start-world.ts';
export * from './data/movielens.ts';
export * from './models/pnn.ts';
export * from './models/autoint.ts';
export * from './gme/graph.ts';
export * from './gme/backbones.ts';
export * from './gme/generators.ts';
export * from './gme/meta.ts';
export * from './gme/protocol.ts';
export * from './gme/figures.ts';

// QARM (issue 7): multimodal world, pair mining, codes, ranker, offline stages.
export * from './worlds/multimodal-world.ts';
export { bagOfTokens, pixelFeatures, nearestCentroidAccuracy, contentBehaviourAgreement } from './worlds/multimodal-diagnostics.ts';
export { userPositives, swing, swingPairs, triggerPairs, SWING_DEFAULTS, type SwingOptions, type ItemPairs } from './qarm/pairs.ts';
export { vqCodes, codeStats, codeTable, type CodeStats } from './qarm/codes.ts';
export { kmeans, rqKmeans, KMEANS_DEFAULTS, type KMeansOptions } from './qarm/kmeans.ts';
export { nearestNeighbours, neighbourRecall, sameLabelShare } from './qarm/neighbours.ts';
export { prepareQarm, QarmPrepareSpec, QARM_PREPARE_DEFAULTS, type QarmPrepareOptions, type QarmPrepared } from './qarm/prepare.ts';
export { runQarmJob, toNpy, fromNpy, PYTHON as QARM_PYTHON, type NpyTensor } from './qarm/python-job.ts';
export { candidatePool } from './qarm/ab-pool.ts';
export { QarmRanker, qarmRankerSpec, QARM_RANKER_DEFAULTS, type QarmRankerConfig, type QarmItemSide } from './models/qarm-ranker.ts';

// Federated recommendation (issue 8): engine (rounds, partitions, FedAvg/FedProx, group averaging, DP, comm,
// resume), federated world, KuaiSAR-R loader, SASRec / MRFF / FedPA, adjusted Rand index.
export * from './federated/types.ts';
export { runFederated, FedConfigSpec, FED_DEFAULTS, type FedConfig, type FedResult, type RoundRecord, type UploadBatch, type FedHooks, type HeldOut } from './federated/engine.ts';
export { trainCentral, evaluateCentral, CentralConfigSpec, type CentralConfig } from './federated/central.ts';
export { validateClients, clientProblem, clientBatch, subsetUsers, heldOutLabels, MIN_INTERACTIONS } from './federated/data.ts';
export { dpEpsilon, rdpSampledGaussian, RDP_ORDERS, type DpConfig } from './federated/dp.ts';
export * from './worlds/federated-world.ts';
export { loadKuaiSAR, KUAISAR_USER_FIELDS, KUAISAR_ITEM_FIELDS } from './data/kuaisar.ts';
export { SASRec, SASRecConfigSpec, SASREC_DEFAULTS, balanceLoss, type SASRecConfig } from './models/sasrec.ts';
export { createMRFF, MRFF_CONFIG } from './models/mrff.ts';
export { FedPA, FedPAConfigSpec, FEDPA_DEFAULTS, type FedPAConfig } from './models/fedpa.ts';
export { adjustedRandIndex } from './metrics/ari.ts';

// UniCDR / UniCDR+ (issue 5): multi-domain world, sampled-negative ranking evaluation, CDR ranking models, CDR text loader.
export { CDR_SCENARIOS, MultiDomainWorldConfigSpec, generateMultiDomainWorld, interactedSets, multiDomainPreset, type CdrScenario, type MultiDomainWorldConfig, type MultiDomainWorld, type CdrData, type CdrDomain } from './worlds/multi-domain-world.ts';
export { sampleNegatives, sampledRanking, fullRanking, type CandidateLists } from './metrics/sampled-ranking.ts';
export { CDR_MODEL_KINDS, createCdrModel, prepareCdr, UniCDR, UniCdrConfigSpec, UNICDR_PLUS_EXTENSIONS, BPRMF, SharedEmb, EMCDR, PTUPCDR, CdrModel, type CdrModelKind, type CdrPrep, type UniCdrConfig } from './models/cdr/index.ts';
export { fitCdr, evaluateLists, evaluateFull, testLists, CdrTrainConfigSpec, type CdrTrainConfig } from './pipelines/unicdr/fit.ts';
export { loadCdrTextPair, readCdrTextFile, cdrTextAvailability, CdrTextError } from './data/cdr-text.ts';

// The Python bridge and EM3 (issue 7): managed PyTorch process, binary tensors, cross-framework gradient step; EM3 ranker and pipelines.
export { PythonSession, pythonSession, hostTensor, checkTensor, fromTf, toTf, PythonError, BridgeTimeoutError, BridgeCrashError, BridgeHandleLostError, TensorSpecError, TorchTrainable, crossStep, lossAndGrads, type HostTensor, type TensorSpec, type CallOptions, type CallResult, type SessionOptions, type TrainableOptions, type CrossStepOptions } from './bridge/index.ts';
export { EM3Ranker, EM3_RANKER_DEFAULTS, cicLoss, type EM3RankerConfig, type BatchContent } from './models/em3.ts';

// FARM (issue 3): DFT-as-matmul layer, MMoE / PLE heads, the frequency-aware module, the live models' input block,
// FARM and the live multi-task baselines, sequence truncation (most recent kept), the KuaiRand loader, spectra.
export { RealDFT, rdftBases, lowPassMatrix, rfftBins } from './layers/dft.ts';
export { MMoE, PLE, MMOE_DEFAULTS, PLE_DEFAULTS, checkTaskNames, type MMoEConfig, type PLEConfig } from './layers/mtl.ts';
export { FrequencyAware, FREQUENCY_DEFAULTS, type FrequencyConfig, type FrequencyOutput } from './layers/frequency.ts';
export { LiveInputs, LIVE_COLUMNS, type LiveColumns } from './layers/live-inputs.ts';
export { FARM, FARM_DEFAULTS, farmSpec, symmetricInfoNce, type FARMConfig } from './models/farm.ts';
export { LiveBaseline, LIVE_BASELINE_DEFAULTS, liveBaselineSpecs, liveMultiTaskLoss, type LiveBaselineConfig } from './models/live-baselines.ts';
export { truncateSequences } from './data/truncate.ts';
export { loadKuaiRand, kuairandAvailability, kuairandFiles, KUAIRAND_TASKS, KUAIRAND_DEFAULTS, type KuaiRandOptions, type KuaiRandVariant } from './data/kuairand.ts';
export { behaviourSpectrum, spectrumFigure, type BehaviourSpectrum } from './pipelines/farm/spectrum.ts';
