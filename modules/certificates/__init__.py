"""証明書交付 (certificates): 住民票の写し and 印鑑登録証明書."""
