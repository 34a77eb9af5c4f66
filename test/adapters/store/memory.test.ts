import { describe } from 'vitest'
import { createMemoryStore } from '../../../src/adapters/store/memory.ts'
import { storeContract } from '../../contract/store.contract.ts'

describe('memory store', () => storeContract(async () => createMemoryStore()))
