; The #lang line: @lang is the language name (e.g. racket/base, info).
(extension (lang_name) @lang)
