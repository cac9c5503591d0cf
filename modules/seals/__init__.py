"""印鑑登録: seal registration, loss of the registration card, abolition."""
