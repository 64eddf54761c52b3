using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace AbandonedCart.Activities.Channels;

/// <summary>
/// The P-256 part of RFC 8291 for one message: a fresh ephemeral key pair and its ECDH agreement with the
/// subscription's public key. On Linux with OpenSSL 3 this calls libcrypto's EVP API directly; elsewhere, or when
/// that path fails its start-up self-check, it uses <see cref="ECDiffieHellman"/>.
/// </summary>
/// <remarks>
/// Why not <see cref="ECDiffieHellman"/> everywhere: on OpenSSL 3.0 it costs about 3 to 4 times the CPU of the
/// same work done directly (measured with <c>tests/ChannelBenchmark -- cpu</c>). .NET builds legacy EC_KEY objects,
/// which OpenSSL 3 converts to provider keys again at the agreement, and it validates the subscription key twice
/// with a full n·Q multiplication each time (at import and again when the agreement sets the peer).
/// The direct path keeps the validation that matters: the subscription key is decoded with OpenSSL's point decoder,
/// which refuses coordinates outside the field and points not on the curve. P-256 has cofactor 1, so a point on the
/// curve (and an uncompressed encoding is never the point at infinity) is in the prime-order group: the n·Q check
/// adds nothing for it. RFC 8291 §3.1 wants a new application server key pair for every message: each call
/// generates one and frees it afterwards.
/// </remarks>
internal static class P256Agreement
{
    /// <summary>Generates a new key pair, writes its public key (65 bytes, uncompressed) to <paramref name="asPublic"/>
    /// and the ECDH secret with <paramref name="uaPublic"/> (32 bytes) to <paramref name="secret"/>.</summary>
    /// <exception cref="CryptographicException"><paramref name="uaPublic"/> is not a P-256 point.</exception>
    public static void Agree(ReadOnlySpan<byte> uaPublic, Span<byte> asPublic, Span<byte> secret)
    {
        if (uaPublic.Length != 65 || uaPublic[0] != 4 || asPublic.Length != 65 || secret.Length != 32)
        {
            throw new CryptographicException("Expected a 65-byte uncompressed P-256 point.");
        }

        if (OpenSsl.Available)
        {
            OpenSsl.Agree(uaPublic, asPublic, secret);
        }
        else
        {
            Managed(uaPublic, asPublic, secret);
        }
    }

    /// <summary>True when the direct libcrypto path is in use (it passed its self-check).</summary>
    internal static bool UsesOpenSsl => OpenSsl.Available;

    internal static void Managed(ReadOnlySpan<byte> uaPublic, Span<byte> asPublic, Span<byte> secret)
    {
        using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        WebPushEncryption.PublicBytes(ephemeral).CopyTo(asPublic);
        using var ua = ECDiffieHellman.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = uaPublic.Slice(1, 32).ToArray(), Y = uaPublic.Slice(33, 32).ToArray() },
        });
        using var uaKey = ua.PublicKey;
        ephemeral.DeriveRawSecretAgreement(uaKey).CopyTo(secret);
    }

    private static class OpenSsl
    {
        private const string Library = "libcrypto.so.3";
        private static readonly byte[] Ec = "EC\0"u8.ToArray();
        private static readonly byte[] Group = "P-256\0"u8.ToArray();
        private static readonly byte[] Pub = "pub\0"u8.ToArray();

        // Key generation contexts (EC, P-256, keygen initialised) are reused; a context is used by one thread at a time.
        private static readonly ConcurrentQueue<IntPtr> Generators = new();
        private static readonly int MaxPooled = Math.Max(4, Environment.ProcessorCount * 4);

        // A public-only P-256 key whose copies receive each subscription's point.
        private static readonly IntPtr Template;

        static OpenSsl()
        {
            try
            {
                if (!OperatingSystem.IsLinux())
                {
                    return;
                }

                using var key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
                Template = Decode(key.ExportSubjectPublicKeyInfo());
                Available = Template != IntPtr.Zero && SelfCheck();
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or CryptographicException)
            {
                Available = false;
            }
        }

        public static bool Available { get; }

        public static void Agree(ReadOnlySpan<byte> uaPublic, Span<byte> asPublic, Span<byte> secret)
        {
            var peer = IntPtr.Zero;
            var ephemeral = IntPtr.Zero;
            var derive = IntPtr.Zero;
            try
            {
                peer = Native.EVP_PKEY_dup(Template);
                if (peer == IntPtr.Zero
                    || Native.EVP_PKEY_set1_encoded_public_key(peer, in MemoryMarshal.GetReference(uaPublic), (nuint)uaPublic.Length) != 1)
                {
                    throw Failure("the subscription key is not a P-256 point");
                }

                ephemeral = Generate();
                if (Native.EVP_PKEY_get_octet_string_param(ephemeral, Pub, ref MemoryMarshal.GetReference(asPublic), (nuint)asPublic.Length, out var publicLength) != 1
                    || publicLength != 65 || asPublic[0] != 4)
                {
                    throw Failure("could not read the ephemeral public key");
                }

                // The peer was validated when its point was decoded (see the class remarks), so the agreement skips
                // OpenSSL's second, full validation.
                derive = Native.EVP_PKEY_CTX_new_from_pkey(IntPtr.Zero, ephemeral, IntPtr.Zero);
                var length = (nuint)secret.Length;
                if (derive == IntPtr.Zero
                    || Native.EVP_PKEY_derive_init(derive) != 1
                    || Native.EVP_PKEY_derive_set_peer_ex(derive, peer, 0) != 1
                    || Native.EVP_PKEY_derive(derive, ref MemoryMarshal.GetReference(secret), ref length) != 1
                    || length != 32)
                {
                    throw Failure("the ECDH agreement failed");
                }
            }
            finally
            {
                Native.EVP_PKEY_CTX_free(derive);
                Native.EVP_PKEY_free(ephemeral);
                Native.EVP_PKEY_free(peer);
            }
        }

        private static IntPtr Generate()
        {
            if (!Generators.TryDequeue(out var context))
            {
                context = Native.EVP_PKEY_CTX_new_from_name(IntPtr.Zero, Ec, IntPtr.Zero);
                if (context == IntPtr.Zero || Native.EVP_PKEY_keygen_init(context) != 1 || Native.EVP_PKEY_CTX_set_group_name(context, Group) != 1)
                {
                    Native.EVP_PKEY_CTX_free(context);
                    throw Failure("could not set up P-256 key generation");
                }
            }

            var key = IntPtr.Zero;
            var generated = Native.EVP_PKEY_generate(context, ref key) == 1 && key != IntPtr.Zero;
            if (generated && Generators.Count < MaxPooled)
            {
                Generators.Enqueue(context);
            }
            else
            {
                Native.EVP_PKEY_CTX_free(context);
            }

            return generated ? key : throw Failure("P-256 key generation failed");
        }

        private static IntPtr Decode(byte[] subjectPublicKeyInfo)
        {
            var pinned = GCHandle.Alloc(subjectPublicKeyInfo, GCHandleType.Pinned);
            try
            {
                var cursor = pinned.AddrOfPinnedObject();
                return Native.d2i_PUBKEY(IntPtr.Zero, ref cursor, subjectPublicKeyInfo.Length);
            }
            finally
            {
                pinned.Free();
            }
        }

        /// <summary>The direct path agrees with <see cref="ECDiffieHellman"/> on both sides, gives a new key each
        /// call, and refuses a point off the curve; otherwise it is not used.</summary>
        private static bool SelfCheck()
        {
            using var ua = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
            var uaPublic = WebPushEncryption.PublicBytes(ua);
            Span<byte> first = stackalloc byte[65];
            Span<byte> second = stackalloc byte[65];
            Span<byte> secret = stackalloc byte[32];
            Agree(uaPublic, first, secret);
            Agree(uaPublic, second, stackalloc byte[32]);
            using var sender = ECDiffieHellman.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = first.Slice(1, 32).ToArray(), Y = first.Slice(33, 32).ToArray() },
            });
            using var senderKey = sender.PublicKey;
            if (!ua.DeriveRawSecretAgreement(senderKey).AsSpan().SequenceEqual(secret) || first.SequenceEqual(second))
            {
                return false;
            }

            uaPublic[64] ^= 1;
            try
            {
                Agree(uaPublic, first, secret);
                return false;
            }
            catch (CryptographicException)
            {
                return true;
            }
        }

        private static CryptographicException Failure(string what)
        {
            // OpenSSL queues errors per thread; leave none behind for the next caller on this thread.
            Native.ERR_clear_error();
            return new CryptographicException($"P-256: {what}.");
        }

        private static class Native
        {
            [DllImport(Library)]
            [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
            public static extern IntPtr EVP_PKEY_CTX_new_from_name(IntPtr libraryContext, byte[] name, IntPtr propertyQuery);

            [DllImport(Library)]
            [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
            public static extern IntPtr EVP_PKEY_CTX_new_from_pkey(IntPtr libraryContext, IntPtr key, IntPtr propertyQuery);

            [DllImport(Library)]
            [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
            public static extern void EVP_PKEY_CTX_free(IntPtr context);

            [DllImport(Library)]
            [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
            public static extern int EVP_PKEY_keygen_init(IntPtr context);

            [DllImport(Library)]
            [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
            public static extern int EVP_PKEY_CTX_set_group_name(IntPtr context, byte[] name);

            [DllImport(Library)]
            [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
            public static extern int EVP_PKEY_generate(IntPtr context, ref IntPtr key);

            [DllImport(Library)]
            [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
            public static extern void EVP_PKEY_free(IntPtr key);

            [DllImport(Library)]
            [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
            public static extern IntPtr EVP_PKEY_dup(IntPtr key);

            [DllImport(Library)]
            [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
            public static extern int EVP_PKEY_set1_encoded_public_key(IntPtr key, in byte point, nuint length);

            [DllImport(Library)]
            [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
            public static extern int EVP_PKEY_get_octet_string_param(IntPtr key, byte[] name, ref byte buffer, nuint size, out nuint length);

            [DllImport(Library)]
            [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
            public static extern int EVP_PKEY_derive_init(IntPtr context);

            [DllImport(Library)]
            [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
            public static extern int EVP_PKEY_derive_set_peer_ex(IntPtr context, IntPtr peer, int validatePeer);

            [DllImport(Library)]
            [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
            public static extern int EVP_PKEY_derive(IntPtr context, ref byte secret, ref nuint length);

            [DllImport(Library)]
            [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
            public static extern IntPtr d2i_PUBKEY(IntPtr key, ref IntPtr cursor, nint length);

            [DllImport(Library)]
            [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
            public static extern void ERR_clear_error();
        }
    }
}
