// reclab's step compiler entry points, compiled into @tensorflow/tfjs-node's addon by env/build-tfjs-node.sh.
//
// A training step is traced from JavaScript (src/train/compile.ts): while tracing, each kernel tfjs-node would
// execute is added to a TF_Graph here instead; afterwards the graph becomes a TF_Function registered with the addon's
// own eager context, and every later step runs it by name through the binding's ordinary executeOp (TFE_NewOp
// accepts a registered function's name), so one native call per step. Handles stay in the binding's handle map.
//
// Symbolic tensors are graph outputs numbered 0..n-1; JavaScript sees them as tensor ids -(k + 2) (negative, so
// tfjs-node's disposeData never passes them to deleteTensor, and -1 stays tfjs-node's "values not uploaded" mark).
//
// Entry points (added to the binding's exports by RegisterGraphStep):
//   graphBegin()                                   start a new graph (drops an unfinished one)
//   graphPlaceholder(handleId) -> symId            a function input shaped and typed like an existing handle
//   graphConst(handleId) -> symId                  a constant holding an existing handle's current value
//   graphAddOp(op, attrs, inputs, numOutputs)      add one op; inputs are symIds, or arrays of symIds for list
//     -> [{id, shape, dtype}]                      inputs; output shapes from graph shape inference (-1 = unknown)
//   graphFinish(name, inputSymIds, outputSymIds[, xlaName])
//                                                  TF_GraphToFunction + TFE_ContextAddFunction; frees the graph.
//                                                  With xlaName, the same graph is also registered under that name
//                                                  with _XlaMustCompile = true (TensorFlow's JIT compiles it whole)
//   graphAbort()                                   frees an unfinished graph
//   graphRemove(name)                              TFE_ContextRemoveFunction (the compiler's dispose)
//   graphXla() -> true                             present when graphFinish takes xlaName
#include <node_api.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "tensorflow/c/c_api.h"
#include "tensorflow/c/eager/c_api.h"
#include "tfjs_backend.h"

namespace tfnodejs {

// The build script adds `friend struct GraphStepAccess;` to TFJSBackend, so this file can reach its context and
// handle map without changing any of tfjs-node's own functions.
struct GraphStepAccess {
  static TFE_Context *Context(TFJSBackend *b) { return b->tfe_context_; }
  static TFE_TensorHandle *Handle(TFJSBackend *b, int32_t id) {
    auto it = b->tfe_handle_map_.find(id);
    return it == b->tfe_handle_map_.end() ? nullptr : it->second;
  }
};

namespace {

struct TraceState {
  TF_Graph *graph = nullptr;
  std::vector<TF_Output> outputs;  // symbolic tensor k = outputs[k]
  int counter = 0;
};
TraceState trace;

napi_value Throw(napi_env env, const std::string &msg) {
  napi_throw_error(env, nullptr, ("graph_step: " + msg).c_str());
  return nullptr;
}

TFJSBackend *Backend(napi_env env) {
  TFJSBackend *b = nullptr;
  napi_get_instance_data(env, reinterpret_cast<void **>(&b));
  return b;
}

bool GetArgs(napi_env env, napi_callback_info info, size_t want, napi_value *args) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, args, nullptr, nullptr) != napi_ok || argc < want) {
    Throw(env, "wrong number of arguments");
    return false;
  }
  return true;
}

std::string GetString(napi_env env, napi_value v) {
  size_t len = 0;
  napi_get_value_string_utf8(env, v, nullptr, 0, &len);
  std::string s(len, '\0');
  napi_get_value_string_utf8(env, v, &s[0], len + 1, &len);
  return s;
}

int32_t GetInt(napi_env env, napi_value v) {
  int32_t x = 0;
  napi_get_value_int32(env, v, &x);
  return x;
}

bool IsArray(napi_env env, napi_value v) {
  bool r = false;
  napi_is_array(env, v, &r);
  return r;
}

uint32_t Length(napi_env env, napi_value v) {
  uint32_t n = 0;
  napi_get_array_length(env, v, &n);
  return n;
}

napi_value At(napi_env env, napi_value arr, uint32_t i) {
  napi_value e;
  napi_get_element(env, arr, i, &e);
  return e;
}

napi_value Num(napi_env env, double x) {
  napi_value v;
  napi_create_double(env, x, &v);
  return v;
}

// Symbolic id from JavaScript -> graph output; false when it is not one of this trace's tensors.
bool Sym(int32_t id, TF_Output *out) {
  int64_t k = -static_cast<int64_t>(id) - 2;
  if (k < 0 || k >= static_cast<int64_t>(trace.outputs.size())) return false;
  *out = trace.outputs[k];
  return true;
}

napi_value NewSym(napi_env env, TF_Operation *op, int index) {
  trace.outputs.push_back({op, index});
  return Num(env, -static_cast<double>(trace.outputs.size() - 1) - 2);
}

std::string NextName(const char *prefix) { return std::string(prefix) + "_" + std::to_string(trace.counter++); }

// One tfjs-node attribute object {name, type, value} onto a graph op description (the value forms tfjs-node's
// AssignOpAttr accepts: numbers, booleans, strings, dtype enums, shapes, and arrays of ints / floats / booleans).
bool SetAttr(napi_env env, TF_OperationDescription *desc, napi_value attr) {
  napi_value nv, tv, vv;
  napi_get_named_property(env, attr, "name", &nv);
  napi_get_named_property(env, attr, "type", &tv);
  napi_get_named_property(env, attr, "value", &vv);
  const std::string name = GetString(env, nv);
  const int type = GetInt(env, tv);
  const bool list = IsArray(env, vv);
  const uint32_t n = list ? Length(env, vv) : 0;
  switch (type) {
    case TF_ATTR_STRING: {
      std::string s = GetString(env, vv);
      TF_SetAttrString(desc, name.c_str(), s.data(), s.size());
      return true;
    }
    case TF_ATTR_INT:
      if (list) {
        std::vector<int64_t> xs(n);
        for (uint32_t i = 0; i < n; i++) {
          int64_t x;
          napi_get_value_int64(env, At(env, vv, i), &x);
          xs[i] = x;
        }
        TF_SetAttrIntList(desc, name.c_str(), xs.data(), static_cast<int>(n));
      } else {
        int64_t x;
        napi_get_value_int64(env, vv, &x);
        TF_SetAttrInt(desc, name.c_str(), x);
      }
      return true;
    case TF_ATTR_FLOAT:
      if (list) {
        std::vector<float> xs(n);
        for (uint32_t i = 0; i < n; i++) {
          double x;
          napi_get_value_double(env, At(env, vv, i), &x);
          xs[i] = static_cast<float>(x);
        }
        TF_SetAttrFloatList(desc, name.c_str(), xs.data(), static_cast<int>(n));
      } else {
        double x;
        napi_get_value_double(env, vv, &x);
        TF_SetAttrFloat(desc, name.c_str(), static_cast<float>(x));
      }
      return true;
    case TF_ATTR_BOOL:
      if (list) {
        std::vector<unsigned char> xs(n);
        for (uint32_t i = 0; i < n; i++) {
          bool x;
          napi_get_value_bool(env, At(env, vv, i), &x);
          xs[i] = x ? 1 : 0;
        }
        TF_SetAttrBoolList(desc, name.c_str(), xs.data(), static_cast<int>(n));
      } else {
        bool x;
        napi_get_value_bool(env, vv, &x);
        TF_SetAttrBool(desc, name.c_str(), x ? 1 : 0);
      }
      return true;
    case TF_ATTR_TYPE:
      TF_SetAttrType(desc, name.c_str(), static_cast<TF_DataType>(GetInt(env, vv)));
      return true;
    case TF_ATTR_SHAPE: {
      std::vector<int64_t> dims(n);
      for (uint32_t i = 0; i < n; i++) dims[i] = GetInt(env, At(env, vv, i));
      TF_SetAttrShape(desc, name.c_str(), dims.data(), static_cast<int>(n));
      return true;
    }
    default:
      Throw(env, "attribute '" + name + "' has an unsupported type " + std::to_string(type));
      return false;
  }
}

// {id, shape, dtype} of symbolic tensor `out`, the form tfjs-node's createOutputTensor reads.
napi_value Info(napi_env env, TF_Output out, napi_value id) {
  TF_Status *st = TF_NewStatus();
  int nd = TF_GraphGetTensorNumDims(trace.graph, out, st);
  std::vector<int64_t> dims(nd > 0 ? nd : 0);
  if (nd > 0) TF_GraphGetTensorShape(trace.graph, out, dims.data(), nd, st);
  TF_DeleteStatus(st);
  napi_value obj, shape;
  napi_create_object(env, &obj);
  napi_create_array_with_length(env, dims.size(), &shape);
  for (size_t i = 0; i < dims.size(); i++) napi_set_element(env, shape, i, Num(env, static_cast<double>(dims[i])));
  napi_set_named_property(env, obj, "id", id);
  // Unknown rank is reported as rank -1 through a one-element shape [-1] plus a flag.
  napi_value unknown;
  napi_get_boolean(env, nd < 0, &unknown);
  napi_set_named_property(env, obj, "unknownRank", unknown);
  napi_set_named_property(env, obj, "shape", shape);
  napi_set_named_property(env, obj, "dtype", Num(env, TF_OperationOutputType(out)));
  return obj;
}

napi_value GraphBegin(napi_env env, napi_callback_info) {
  if (trace.graph) TF_DeleteGraph(trace.graph);
  trace = TraceState();
  trace.graph = TF_NewGraph();
  return nullptr;
}

napi_value GraphAbort(napi_env env, napi_callback_info) {
  if (trace.graph) TF_DeleteGraph(trace.graph);
  trace = TraceState();
  return nullptr;
}

TFE_TensorHandle *HandleArg(napi_env env, napi_callback_info info) {
  napi_value args[1];
  if (!GetArgs(env, info, 1, args)) return nullptr;
  if (!trace.graph) {
    Throw(env, "no trace in progress");
    return nullptr;
  }
  TFJSBackend *b = Backend(env);
  int32_t id = GetInt(env, args[0]);
  TFE_TensorHandle *h = b ? GraphStepAccess::Handle(b, id) : nullptr;
  if (!h) Throw(env, "no tensor handle with id " + std::to_string(id));
  return h;
}

napi_value GraphPlaceholder(napi_env env, napi_callback_info info) {
  TFE_TensorHandle *h = HandleArg(env, info);
  if (!h) return nullptr;
  TF_Status *st = TF_NewStatus();
  int nd = TFE_TensorHandleNumDims(h, st);
  std::vector<int64_t> dims(nd > 0 ? nd : 0);
  for (int i = 0; i < nd; i++) dims[i] = TFE_TensorHandleDim(h, i, st);
  TF_OperationDescription *d = TF_NewOperation(trace.graph, "Placeholder", NextName("input").c_str());
  TF_SetAttrType(d, "dtype", TFE_TensorHandleDataType(h));
  TF_SetAttrShape(d, "shape", dims.data(), nd);
  TF_Operation *op = TF_FinishOperation(d, st);
  std::string err = TF_GetCode(st) == TF_OK ? "" : TF_Message(st);
  TF_DeleteStatus(st);
  if (!op) return Throw(env, "Placeholder: " + err);
  return NewSym(env, op, 0);
}

napi_value GraphConst(napi_env env, napi_callback_info info) {
  TFE_TensorHandle *h = HandleArg(env, info);
  if (!h) return nullptr;
  TF_Status *st = TF_NewStatus();
  TF_Tensor *t = TFE_TensorHandleResolve(h, st);
  TF_Operation *op = nullptr;
  if (TF_GetCode(st) == TF_OK) {
    TF_OperationDescription *d = TF_NewOperation(trace.graph, "Const", NextName("const").c_str());
    TF_SetAttrTensor(d, "value", t, st);
    TF_SetAttrType(d, "dtype", TF_TensorType(t));
    if (TF_GetCode(st) == TF_OK) op = TF_FinishOperation(d, st);
  }
  if (t) TF_DeleteTensor(t);
  std::string err = TF_GetCode(st) == TF_OK ? "" : TF_Message(st);
  TF_DeleteStatus(st);
  if (!op) return Throw(env, "Const: " + err);
  return NewSym(env, op, 0);
}

napi_value GraphAddOp(napi_env env, napi_callback_info info) {
  napi_value args[4];
  if (!GetArgs(env, info, 4, args)) return nullptr;
  if (!trace.graph) return Throw(env, "no trace in progress");
  const std::string opName = GetString(env, args[0]);
  TF_OperationDescription *d = TF_NewOperation(trace.graph, opName.c_str(), NextName("op").c_str());
  const uint32_t nIn = Length(env, args[2]);
  for (uint32_t i = 0; i < nIn; i++) {
    napi_value e = At(env, args[2], i);
    if (IsArray(env, e)) {
      const uint32_t m = Length(env, e);
      std::vector<TF_Output> list(m);
      for (uint32_t j = 0; j < m; j++) {
        if (!Sym(GetInt(env, At(env, e, j)), &list[j])) return Throw(env, opName + ": input is not a traced tensor");
      }
      TF_AddInputList(d, list.data(), static_cast<int>(m));
    } else {
      TF_Output o;
      if (!Sym(GetInt(env, e), &o)) return Throw(env, opName + ": input is not a traced tensor");
      TF_AddInput(d, o);
    }
  }
  const uint32_t nAttr = Length(env, args[1]);
  for (uint32_t i = 0; i < nAttr; i++) {
    if (!SetAttr(env, d, At(env, args[1], i))) return nullptr;
  }
  TF_Status *st = TF_NewStatus();
  TF_Operation *op = TF_FinishOperation(d, st);
  std::string err = TF_GetCode(st) == TF_OK ? "" : TF_Message(st);
  TF_DeleteStatus(st);
  if (!op) return Throw(env, opName + ": " + err);
  const int nOut = GetInt(env, args[3]);
  if (TF_OperationNumOutputs(op) != nOut) {
    return Throw(env, opName + ": " + std::to_string(TF_OperationNumOutputs(op)) + " outputs, caller expects " + std::to_string(nOut));
  }
  napi_value result;
  napi_create_array_with_length(env, nOut, &result);
  for (int k = 0; k < nOut; k++) {
    napi_value id = NewSym(env, op, k);
    napi_set_element(env, result, k, Info(env, {op, k}, id));
  }
  return result;
}

napi_value GraphFinish(napi_env env, napi_callback_info info) {
  napi_value args[4];
  size_t argc = 4;
  if (napi_get_cb_info(env, info, &argc, args, nullptr, nullptr) != napi_ok || argc < 3) return Throw(env, "wrong number of arguments");
  if (!trace.graph) return Throw(env, "no trace in progress");
  const std::string name = GetString(env, args[0]);
  napi_valuetype xlaType = napi_undefined;
  if (argc > 3) napi_typeof(env, args[3], &xlaType);
  const std::string xlaName = xlaType == napi_string ? GetString(env, args[3]) : "";
  std::vector<TF_Output> ins(Length(env, args[1])), outs(Length(env, args[2]));
  for (size_t i = 0; i < ins.size(); i++) {
    if (!Sym(GetInt(env, At(env, args[1], i)), &ins[i])) return Throw(env, "function input is not a traced tensor");
  }
  TF_Status *st = TF_NewStatus();
  // Each output through its own Identity: an output may be an input or a constant, which a function cannot
  // return directly.
  for (size_t i = 0; i < outs.size(); i++) {
    TF_Output o;
    if (!Sym(GetInt(env, At(env, args[2], i)), &o)) {
      TF_DeleteStatus(st);
      return Throw(env, "function output is not a traced tensor");
    }
    TF_OperationDescription *d = TF_NewOperation(trace.graph, "Identity", NextName("result").c_str());
    TF_AddInput(d, o);
    TF_Operation *op = TF_FinishOperation(d, st);
    if (!op) break;
    outs[i] = {op, 0};
  }
  TF_Function *fn = nullptr;
  if (TF_GetCode(st) == TF_OK) {
    fn = TF_GraphToFunction(trace.graph, name.c_str(), 0, -1, nullptr, static_cast<int>(ins.size()), ins.data(),
                            static_cast<int>(outs.size()), outs.data(), nullptr, nullptr, nullptr, st);
  }
  if (fn && TF_GetCode(st) == TF_OK) TFE_ContextAddFunction(GraphStepAccess::Context(Backend(env)), fn, st);
  if (fn) TF_DeleteFunction(fn);
  if (!xlaName.empty() && TF_GetCode(st) == TF_OK) {
    TF_Function *xfn = TF_GraphToFunction(trace.graph, xlaName.c_str(), 0, -1, nullptr, static_cast<int>(ins.size()), ins.data(),
                                          static_cast<int>(outs.size()), outs.data(), nullptr, nullptr, nullptr, st);
    // AttrValue { b: true } as a serialized proto: field 5 (b), varint 1.
    const unsigned char must[] = {0x28, 0x01};
    if (xfn && TF_GetCode(st) == TF_OK) TF_FunctionSetAttrValueProto(xfn, "_XlaMustCompile", must, sizeof(must), st);
    if (xfn && TF_GetCode(st) == TF_OK) TFE_ContextAddFunction(GraphStepAccess::Context(Backend(env)), xfn, st);
    if (xfn) TF_DeleteFunction(xfn);
  }
  std::string err = TF_GetCode(st) == TF_OK ? "" : TF_Message(st);
  TF_DeleteStatus(st);
  TF_DeleteGraph(trace.graph);
  trace = TraceState();
  if (!err.empty()) return Throw(env, "function '" + name + "': " + err);
  return nullptr;
}

// Removes a function registered by graphFinish from the eager context (when its compiler is disposed).
napi_value GraphRemove(napi_env env, napi_callback_info info) {
  napi_value args[1];
  if (!GetArgs(env, info, 1, args)) return nullptr;
  const std::string name = GetString(env, args[0]);
  TF_Status *st = TF_NewStatus();
  TFE_ContextRemoveFunction(GraphStepAccess::Context(Backend(env)), name.c_str(), st);
  std::string err = TF_GetCode(st) == TF_OK ? "" : TF_Message(st);
  TF_DeleteStatus(st);
  if (!err.empty()) return Throw(env, "remove '" + name + "': " + err);
  return nullptr;
}

// Marks this build as knowing graphFinish's xlaName argument (the build script checks for it).
napi_value GraphXla(napi_env env, napi_callback_info) {
  napi_value t;
  napi_get_boolean(env, true, &t);
  return t;
}

}  // namespace

// Adds the entry points above to the binding's exports (called at the end of tfjs-node's module init).
void RegisterGraphStep(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"graphBegin", nullptr, GraphBegin, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"graphAbort", nullptr, GraphAbort, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"graphPlaceholder", nullptr, GraphPlaceholder, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"graphConst", nullptr, GraphConst, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"graphAddOp", nullptr, GraphAddOp, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"graphFinish", nullptr, GraphFinish, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"graphRemove", nullptr, GraphRemove, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"graphXla", nullptr, GraphXla, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
}

}  // namespace tfnodejs
