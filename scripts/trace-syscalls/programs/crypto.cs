// Hashes, symmetric and asymmetric crypto (OpenSSL), random numbers.
using System.Security.Cryptography;
Console.WriteLine(Convert.ToHexString(SHA256.HashData("abc"u8)));
Console.WriteLine(Convert.ToHexString(MD5.HashData("abc"u8)));
Console.WriteLine(Convert.ToHexString(HMACSHA512.HashData(new byte[16], "abc"u8))[..16]);
using var aes = Aes.Create(); aes.GenerateKey();
var enc = aes.EncryptCbc(new byte[100], aes.IV); Console.WriteLine(aes.DecryptCbc(enc, aes.IV).Length);
using var gcm = new AesGcm(new byte[32], 16); var ct = new byte[10]; var tag = new byte[16]; gcm.Encrypt(new byte[12], new byte[10], ct, tag);
using var rsa = RSA.Create(2048); var sig = rsa.SignData("x"u8.ToArray(), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
Console.WriteLine(rsa.VerifyData("x"u8.ToArray(), sig, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256); Console.WriteLine(ec.VerifyData("y"u8, ec.SignData("y"u8.ToArray(), HashAlgorithmName.SHA256), HashAlgorithmName.SHA256));
Console.WriteLine(Rfc2898DeriveBytes.Pbkdf2("pw"u8, new byte[16], 1000, HashAlgorithmName.SHA256, 32).Length);
Console.WriteLine(RandomNumberGenerator.GetInt32(100) < 100);
Console.WriteLine(new Random(42).Next(100) + " " + (Random.Shared.NextDouble() < 2));
Console.WriteLine(Guid.NewGuid() != Guid.Empty);
try { using var store = new System.Security.Cryptography.X509Certificates.X509Store(System.Security.Cryptography.X509Certificates.StoreName.Root, System.Security.Cryptography.X509Certificates.StoreLocation.LocalMachine); store.Open(System.Security.Cryptography.X509Certificates.OpenFlags.ReadOnly); Console.WriteLine(store.Certificates.Count); } catch (Exception e) { Console.WriteLine($"x509: {e.GetType().Name}"); }
