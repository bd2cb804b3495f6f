{
  "targets": [
    {
      "target_name": "enclave_stream_native",
      "sources": [
        "csrc/binding/addon.cc",
        "csrc/binding/backoff.cc",
        "csrc/backoff/backoff.c",
        "csrc/binding/crypto.cc",
        "csrc/crypto/base64.c",
        "csrc/crypto/ecdh.c",
        "csrc/crypto/envelope.c",
        "csrc/binding/ndjson.cc",
        "csrc/binding/validate.cc",
        "csrc/json/json.cpp",
        "csrc/ndjson/framer.c",
        "csrc/ndjson/join.c",
        "csrc/ndjson/scan.c",
        "csrc/ndjson/text.c",
        "csrc/validate/validate.c",
        "<!(node -p \"require('path').relative(process.cwd(), require.resolve('@nozbe/simdjson/src/simdjson.cpp')).split(require('path').sep).join('/')\")"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!(node -p \"require('path').dirname(require.resolve('@nozbe/simdjson/src/simdjson.h'))\")",
        "csrc"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_DISABLE_CPP_EXCEPTIONS",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "SIMDJSON_EXCEPTIONS=0",
        "SIMDJSON_DISABLE_DEPRECATED_API=1"
      ],
      "cflags": ["-O3", "-Wall", "-Wextra", "-fvisibility=hidden", "-ffp-contract=off"],
      "cflags_c": ["-std=c11"],
      "cflags_cc": ["-std=c++17", "-fno-exceptions"],
      "cflags!": ["-fno-strict-aliasing"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "NO",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "OTHER_CFLAGS": ["-O3", "-fvisibility=hidden"]
      },
      "msvs_settings": {
        "VCCLCompilerTool": { "ExceptionHandling": 0, "AdditionalOptions": ["/std:c++17"] }
      }
    }
  ]
}
