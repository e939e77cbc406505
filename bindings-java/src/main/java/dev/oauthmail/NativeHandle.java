package dev.oauthmail;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Owns one native object. Calls run under a read lock (many threads at once;
 * the native objects are thread-safe), {@link #close} frees under the write
 * lock, so the native object is never used after it is freed. A
 * {@link Cleaner} frees it if {@code close()} is never called; its action
 * holds only the handle number, never this object.
 */
final class NativeHandle implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    @FunctionalInterface
    interface Call<T> {
        T apply(long handle) throws OAuthMailException;
    }

    @FunctionalInterface
    interface Finish {
        void apply(long handle) throws OAuthMailException;
    }

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final String what;
    private final Cleaner.Cleanable cleanable;
    private long handle; // 0 once closed; guarded by lock

    NativeHandle(long handle, String what) {
        this.handle = handle;
        this.what = what;
        this.cleanable = CLEANER.register(this, new Free(handle));
    }

    <T> T call(Call<T> call) throws OAuthMailException {
        Lock read = lock.readLock();
        read.lock();
        try {
            if (handle == 0) {
                throw new ClosedException("the " + what + " was closed", null,
                        "Create a new " + what + "; a closed one cannot be reused.", 0);
            }
            return call.apply(handle);
        } finally {
            read.unlock();
            Reference.reachabilityFence(this);
        }
    }

    boolean isClosed() {
        Lock read = lock.readLock();
        read.lock();
        try {
            return handle == 0;
        } finally {
            read.unlock();
        }
    }

    /** Runs {@code last} (a QUIT, say) and frees the object; later calls are no-ops. */
    void close(Finish last) throws OAuthMailException {
        if (lock.getReadHoldCount() > 0) {
            // A callback (a device-code prompt, say) closing the object it was called from would wait for itself.
            throw new IllegalStateException("the " + what + " cannot be closed from inside one of its own calls");
        }
        Lock write = lock.writeLock();
        write.lock();
        try {
            if (handle == 0) {
                return;
            }
            long h = handle;
            handle = 0;
            try {
                if (last != null) {
                    last.apply(h);
                }
            } finally {
                cleanable.clean();
            }
        } finally {
            write.unlock();
        }
    }

    @Override
    public void close() {
        try {
            close(null);
        } catch (OAuthMailException e) {
            throw new AssertionError("freeing cannot fail", e);
        }
    }

    private static final class Free implements Runnable {
        private final long handle;

        Free(long handle) {
            this.handle = handle;
        }

        @Override
        public void run() {
            Native.free(handle);
        }
    }
}
