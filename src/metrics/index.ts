/**
 * Evaluation metrics: AUC, grouped AUCs (GAUC/UAUC), log loss, top-K candidate-list metrics (HR/NDCG/MRR) and
 * significance tests. Golden-tested against scikit-learn/SciPy by test/golden/metrics_reference.py.
 */
export { auc } from './auc.ts';
export { gauc, uauc, type GroupedAuc } from './grouped.ts';
export { logloss } from './logloss.ts';
export { topK, type TopKMetrics } from './topk.ts';
export {
  pairedTTest,
  meanStd,
  studentTCdf,
  regularizedIncompleteBeta,
  type PairedTTest,
} from './significance.ts';
