import { describe } from 'vitest'
import { createMemoryArchive } from '../../../src/adapters/archive/memory.ts'
import { archiveContract } from '../../contract/observation-archive.contract.ts'

describe('memory archive', () => archiveContract(async () => createMemoryArchive()))
