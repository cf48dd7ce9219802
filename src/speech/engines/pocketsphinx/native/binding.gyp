{
  "targets": [
    {
      "target_name": "earshot_pocketsphinx",
      "sources": ["decoder.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(pkg-config --cflags-only-I pocketsphinx | sed s/-I//g)"
      ],
      "libraries": ["<!@(pkg-config --libs pocketsphinx)"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-O2", "-std=c++17"]
    }
  ]
}
