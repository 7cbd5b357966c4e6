from rag.llamaindex import LlamaIndexRetriever


def test_adapter_returns_nodes_with_times_and_links(tiny_assistant):
    nodes = LlamaIndexRetriever(tiny_assistant.retriever, k=3).retrieve("sourdough fermentation in the fridge")
    assert 1 <= len(nodes) <= 3
    top = nodes[0]
    assert top.node.metadata["episode_id"] == "tiny-500"
    assert "Ana Silva" in top.node.metadata["speakers"] and top.node.metadata["end"] >= 24
    assert "fermentation" in top.node.get_content()
    assert top.score > 0
