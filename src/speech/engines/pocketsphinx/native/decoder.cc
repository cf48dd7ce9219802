// N-API binding over the Debian pocketsphinx 5prealpha C API. One Decoder owns one ps_decoder_t
// (~105 MB: acoustic model + LM); the JS side feeds it one utterance at a time, legs interleaved
// by utterance, never within one. Everything is synchronous: it runs inside a worker thread.
#include <napi.h>
#include <pocketsphinx.h>
#include <sphinxbase/err.h>
#include <string>
#include <vector>

namespace {

class Decoder : public Napi::ObjectWrap<Decoder> {
 public:
  static Napi::Object Init(Napi::Env env, Napi::Object exports) {
    Napi::Function fn = DefineClass(env, "Decoder", {
      InstanceMethod("start", &Decoder::Start),
      InstanceMethod("process", &Decoder::Process),
      InstanceMethod("hyp", &Decoder::Hyp),
      InstanceMethod("end", &Decoder::End),
      InstanceMethod("free", &Decoder::Free),
    });
    exports.Set("Decoder", fn);
    return exports;
  }

  // new Decoder({ hmm, lm, dict, sampleRate? })
  explicit Decoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Decoder>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) {
      Napi::TypeError::New(env, "Decoder expects { hmm, lm, dict }").ThrowAsJavaScriptException();
      return;
    }
    Napi::Object o = info[0].As<Napi::Object>();
    auto str = [&](const char* k) -> std::string {
      Napi::Value v = o.Get(k);
      return v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
    };
    std::string hmm = str("hmm"), lm = str("lm"), dict = str("dict");
    int rate = o.Get("sampleRate").IsNumber() ? o.Get("sampleRate").As<Napi::Number>().Int32Value() : 16000;
    std::string rateStr = std::to_string(rate);
    // Quiet the library: its log goes to stderr and can carry hypotheses (transcript text).
    err_set_logfp(nullptr);
    std::vector<std::string> args = {"earshot", "-hmm", hmm, "-dict", dict, "-samprate", rateStr, "-logfn", "/dev/null"};
    // No LM = another search from opts.args (keyword spotting: "-kws", file). pocketsphinx lets
    // the LM win when both are given, so it is left out rather than overridden.
    if (!lm.empty()) {
      args.push_back("-lm");
      args.push_back(lm);
    }
    // Extra "-name value" pairs (decoder tuning) from opts.args.
    if (o.Get("args").IsArray()) {
      Napi::Array extra = o.Get("args").As<Napi::Array>();
      for (uint32_t i = 0; i < extra.Length(); i++) args.push_back(extra.Get(i).ToString().Utf8Value());
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    cmd_ln_t* config = cmd_ln_parse_r(nullptr, ps_args(), static_cast<int32>(argv.size()), argv.data(), TRUE);
    if (config == nullptr) {
      Napi::Error::New(env, "pocketsphinx: invalid configuration (unknown option or bad value)").ThrowAsJavaScriptException();
      return;
    }
    ps_ = ps_init(config);
    cmd_ln_free_r(config);
    if (ps_ == nullptr) {
      Napi::Error::New(env, "pocketsphinx: ps_init failed (check hmm/lm/dict paths)").ThrowAsJavaScriptException();
      return;
    }
  }

  ~Decoder() override { Release(); }

 private:
  ps_decoder_t* ps_ = nullptr;
  bool inUtt_ = false;

  void Release() {
    if (ps_ != nullptr) {
      if (inUtt_) ps_end_utt(ps_);
      ps_free(ps_);
      ps_ = nullptr;
    }
  }

  bool Check(Napi::Env env) {
    if (ps_ == nullptr) {
      Napi::Error::New(env, "pocketsphinx: decoder freed").ThrowAsJavaScriptException();
      return false;
    }
    return true;
  }

  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Check(env)) return env.Undefined();
    if (inUtt_) ps_end_utt(ps_);
    if (ps_start_utt(ps_) < 0) {
      Napi::Error::New(env, "pocketsphinx: ps_start_utt failed").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    inUtt_ = true;
    return env.Undefined();
  }

  // process(Int16Array, fullUtt?): feeds 16-bit PCM at the configured rate. fullUtt = the whole
  // utterance in one call, which lets the model's batch CMN use the utterance's own mean.
  Napi::Value Process(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Check(env)) return env.Undefined();
    if (!inUtt_) {
      Napi::Error::New(env, "pocketsphinx: process() outside an utterance").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (info.Length() < 1 || !info[0].IsTypedArray() ||
        info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int16_array) {
      Napi::TypeError::New(env, "process expects an Int16Array").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Int16Array a = info[0].As<Napi::Int16Array>();
    bool full = info.Length() > 1 && info[1].ToBoolean().Value();
    int n = ps_process_raw(ps_, reinterpret_cast<const int16*>(a.Data()), a.ElementLength(), FALSE, full ? TRUE : FALSE);
    return Napi::Number::New(env, n);
  }

  // hyp(): current best hypothesis text ('' when none); usable mid-utterance for partials.
  Napi::Value Hyp(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Check(env)) return env.Undefined();
    int32 score = 0;
    const char* h = ps_get_hyp(ps_, &score);
    return Napi::String::New(env, h ? h : "");
  }

  // end(): { text, words: [{ w, sf, ef }] } with frames at 100 per second from utterance start.
  Napi::Value End(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Check(env)) return env.Undefined();
    if (!inUtt_) {
      Napi::Error::New(env, "pocketsphinx: end() outside an utterance").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    ps_end_utt(ps_);
    inUtt_ = false;
    int32 score = 0;
    const char* h = ps_get_hyp(ps_, &score);
    Napi::Object out = Napi::Object::New(env);
    out.Set("text", Napi::String::New(env, h ? h : ""));
    Napi::Array words = Napi::Array::New(env);
    uint32_t i = 0;
    for (ps_seg_t* seg = ps_seg_iter(ps_); seg != nullptr; seg = ps_seg_next(seg)) {
      const char* w = ps_seg_word(seg);
      int sf = 0, ef = 0;
      ps_seg_frames(seg, &sf, &ef);
      Napi::Object wo = Napi::Object::New(env);
      wo.Set("w", Napi::String::New(env, w ? w : ""));
      wo.Set("sf", Napi::Number::New(env, sf));
      wo.Set("ef", Napi::Number::New(env, ef));
      words.Set(i++, wo);
    }
    out.Set("words", words);
    return out;
  }

  Napi::Value Free(const Napi::CallbackInfo& info) {
    Release();
    return info.Env().Undefined();
  }
};

Napi::Object InitAll(Napi::Env env, Napi::Object exports) { return Decoder::Init(env, exports); }

}  // namespace

NODE_API_MODULE(earshot_pocketsphinx, InitAll)
