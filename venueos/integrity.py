def integrity_problems() -> list[str]:
    return []
