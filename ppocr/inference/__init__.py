"""``paddle.inference`` predictors for exported models (PaddleOCR ``tools/infer`` compatible flags)."""
