from tenant_core.params.declare import Param, Text

PARAMETERS = [Param("sample.greeting", Text(max_length=20), "こんにちは", "挨拶", "Greeting")]
