"""Operations: provisioning, the doctor's checks, and the legacy migration. May use both services' schemas."""
