import numpy as np

from sentiment.insight.quotes import embed_texts, mmr


def test_embeddings_are_unit_rows_and_similar_texts_are_close():
    v = embed_texts(["Qwen going API-only would kill local models",
                     "qwen going api only would kill local models!",
                     "Thanks for the great small release", ""])
    assert v.shape[0] == 4
    assert np.allclose(np.linalg.norm(v[:3], axis=1), 1.0) and not v[3].any()
    assert v[0] @ v[1] > 0.95 and v[0] @ v[2] < 0.2


def test_mmr_skips_rewordings_of_the_first_pick():
    texts = ["they will close the weights now, open source is over",
             "they will close the weights now, open source is over for sure",
             "open source is over, they will close the weights now",
             "the license on the new models is unclear, I worry about commercial use",
             "losing the lead means no more small models for local users"]
    relevance = np.array([0.99, 0.98, 0.97, 0.80, 0.79])
    picked = mmr(relevance, embed_texts(texts), k=3)
    assert picked[0] == 0
    assert set(picked[1:]) == {3, 4}
    assert mmr(relevance, embed_texts(texts), k=3, lam=1.0) == [0, 1, 2]  # pure confidence
    assert mmr(np.array([]), np.zeros((0, 4)), k=3) == []
