"""uvicorn + FastAPI: async endpoints with a response model, and a sync one (FastAPI runs it in
its thread pool, so the process has worker threads too). Run: python3 -m uvicorn
--app-dir DIR fastapi_app:app."""
from typing import List

from fastapi import FastAPI
from pydantic import BaseModel

import endpoints

app = FastAPI()


class Item(BaseModel):
    id: int
    name: str
    price: float
    tags: List[str]


class Items(BaseModel):
    count: int
    items: List[Item]
    total: float


@app.get("/items/{n}", response_model=Items)
async def items(n: int):
    return endpoints.items(n)


@app.get("/compute/{n}")
def compute(n: int):
    return endpoints.compute(n)


@app.get("/users/{uid}")
async def users(uid: int):
    return endpoints.user(uid)
