// Package comm is how the processes of a data-parallel training run talk:
// a Communicator all-reduces flat float32 gradient buffers, broadcasts
// parameters and waits at barriers, over existing engines loaded at run
// time, so one binary runs with and without them: Open MPI between
// processes (MPI, libmpi.so.40 through internal/mpidl), and NVIDIA's NCCL
// between GPUs (NCCL, libnccl.so.2 through internal/nccldl, its unique id
// broadcast over the MPI communicator). Alone is the communicator of one
// rank.
//
// # Overview
//
// Start N copies of a program with Open MPI's launcher,
//
//	mpirun -np 4 ./train ...
//
// and FromEnv, called once by each, sees mpirun's environment and returns
// the MPI communicator of its rank; run without mpirun it returns nil, and
// the program trains alone as before. A backend.Spec that names a
// Communicator trains one model over its ranks: each rank feeds its shard
// of every global batch, and the backend averages the gradients over the
// ranks after the backward pass and before the optimizer step, so every
// rank applies the same update to the same parameters (see package
// backend). The CPU backend averages host buffers with the MPI
// communicator, packed into buckets (Buckets); the CUDA backend joins its
// GPU to an NCCL communicator over the MPI communicator's ranks and
// averages device buffers on its stream, inside its captured step. One
// rank is one process with one GPU: on a node with several GPUs, start one
// rank per GPU and give each its own (cuda:N by local rank, or
// CUDA_VISIBLE_DEVICES).
//
// # Errors and dead ranks
//
// MPI errors are returned, naming the rank and the call (ErrComm):
// MPI_ERRORS_RETURN is set on MPI_COMM_WORLD, so a process whose peer
// died gets an error where MPI would abort. A collective that does not
// complete within the timeout (Options.Timeout; FromEnv reads
// NEURONE_COMM_TIMEOUT, default 5 minutes) means a peer died or hangs:
// the watchdog prints which rank waited in which call and ends the whole
// job with MPI_Abort, rather than leaving every rank waiting forever.
// mpirun itself ends the job when one of its processes exits with an
// error or without finalising MPI. NCCL's collectives run on the GPU's
// stream, outside the watchdog: a peer lost there shows when the stream
// is waited for (NCCL's own timeouts and asynchronous errors).
//
// # Concurrency
//
// A Communicator is not safe for concurrent use: every rank must call the
// same collectives in the same order, from one goroutine at a time. The
// MPI communicator runs its calls on one goroutine locked to the OS
// thread that initialised MPI (MPI_THREAD_FUNNELED), and MPI can be
// initialised once per process: NewMPI returns the same communicator until
// Close, after which MPI cannot start again in that process.
package comm
